import { describe, expect, it } from "vitest";
import { evaluate } from "./support";

describe("ARM expression syntax", () => {
  it.each([
    ["plain text", "plain text"],
    ["[[notAnExpression]", "[notAnExpression]"],
    ["[[", "["],
    ["[unterminated", "[unterminated"],
    ["ends]", "ends]"],
    ["", ""],
  ])("treats %j as a literal", (input, expected) => {
    expect(evaluate(input)).toBe(expected);
  });

  it.each([
    ["[concat('it''s', ' ', '''quoted''')]", "it's 'quoted'"],
    ["[ concat( 'a' , 'b' ) ]", "ab"],
    ["[createArray(1, -2, 30)[1]]", -2],
    ["[add(-5, 3)]", -2],
    ["[createObject('a', createObject('b c', 5)).a['b c']]", 5],
    ["[json('{\"x\": [1, 2]}').x[1]]", 2],
    ["[createArray(createArray('p', 'q'))[0][1]]", "q"],
    ["[createObject('Name', 'v').name]", "v"],
    ["[createObject('k', 'v')[concat('', 'k')]]", "v"],
    ["[toLower(concat('A', toUpper('b'), substring('XYZ', 1, 1)))]", "aby"],
    ["[null()]", null],
    ["[length('[not an expression]')]", 19],
  ])("evaluates %s", (expression, expected) => {
    expect(evaluate(expression)).toEqual(expected);
  });

  it.each([
    ["[concat('a',)]", /unexpected '\)' at position/],
    ["[concat('a' 'b')]", /expected '\)'/],
    ["[true]", /'true' at position 1 is not a function call .*true\(\), false\(\)/],
    ["[concat('abc)]", /unterminated string literal/],
    ["[createArray(1)[5]]", /index 5 is out of range for an array of length 1/],
    ["[createObject('a', 1).b]", /property 'b' does not exist on createObject\('a', 1\); available: a/],
    ["[#]", /unexpected character '#'/],
    ["[lambda('x', 1)]", /lambda\(\) can only be passed to filter, map/],
  ])("rejects %s", (expression, message) => {
    expect(() => evaluate(expression)).toThrow(message);
  });

  it("names the template, the JSON path and the expression in errors", () => {
    expect(() => evaluate("[concat('a',)]")).toThrow(
      /^template 'test\.json' at outputs\.result\.value: .* \(expression: \[concat\('a',\)\]\)$/,
    );
  });
});
