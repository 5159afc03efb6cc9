import { describe, expect, it } from "vitest";
import { formatDateTime, isDeferred } from "../../lib/arm";
import { lookupFunction } from "../../lib/arm/functions/registry";
import { RG_ID, SUB, evaluate } from "./support";

/*
 * Expected values come from the examples in the ARM template function reference on Microsoft Learn
 * (articles/azure-resource-manager/templates/template-functions-{array,comparison,date,deployment,lambda,logical,
 * numeric,object,resource,scope,string,cidr}.md in MicrosoftDocs/azure-docs, templates in
 * Azure/azure-docs-json-samples azure-resource-manager/functions/**): each row is a documented expression and its
 * documented output. Where a page states a rule without a worked example (indexFromEnd's one-based reverse index,
 * uri()'s combined slashes, the date remarks' P1Y = P365D), the row applies the rule to the page's own values.
 * REFERENCE below lists every function of the reference by page; a test checks the engine knows each one.
 */
type Row = [expression: string, expected: unknown];

const dogs = [
  { name: "Evie", age: 5, interests: ["Ball", "Frisbee"] },
  { name: "Casper", age: 3, interests: ["Other dogs"] },
  { name: "Indy", age: 2, interests: ["Butter"] },
  { name: "Kira", age: 8, interests: ["Rubs"] },
];

const variables = {
  objectToTest: { one: "a", two: "b", three: "c" },
  arrayToTest: ["one", "two", "three"],
  names: ["one", "two", "three"],
  numbers: [4, 5, 6],
  collection: ["[variables('names')]", "[variables('numbers')]"],
  duplicates: [1, 2, 3, 1],
  dogs,
  coalesceObject: { null1: null, null2: null, string: "default", int: 1, object: { first: "default" }, array: [1] },
  unsortedObject: {
    item002: { enabled: false, displayName: "Example item 2", number: 200 },
    item001: { enabled: true, displayName: "Example item 1", number: 300 },
  },
};

const tables: Record<string, Row[]> = {
  string: [
    ["[base64('one, two, three')]", "b25lLCB0d28sIHRocmVl"],
    ["[base64ToString('b25lLCB0d28sIHRocmVl')]", "one, two, three"],
    ["[base64ToJson(base64('{''one'': ''a'', ''two'': ''b''}'))]", { one: "a", two: "b" }],
    ["[concat('prefix', '-', 'suffix')]", "prefix-suffix"],
    ["[contains('OneTwoThree', 'e')]", true],
    ["[contains('OneTwoThree', 'z')]", false],
    ["[dataUri('Hello')]", "data:text/plain;charset=utf8;base64,SGVsbG8="],
    ["[dataUriToString('data:;base64,SGVsbG8sIFdvcmxkIQ==')]", "Hello, World!"],
    ["[empty('')]", true],
    ["[startsWith('abcdef', 'ab')]", true],
    ["[startsWith('abcdef', 'A')]", true],
    ["[startsWith('abcdef', 'e')]", false],
    ["[endsWith('abcdef', 'ef')]", true],
    ["[endsWith('abcdef', 'F')]", true],
    ["[endsWith('abcdef', 'e')]", false],
    ["[first('One Two Three')]", "O"],
    ["[last('One Two Three')]", "e"],
    ["[length('One Two Three')]", 13],
    ["[skip('one two three', 4)]", "two three"],
    ["[padLeft('123', 10, '0')]", "0000000123"],
    ["[replace('123-123-1234', '-', '')]", "1231231234"],
    ["[replace('123-123-1234', '1234', 'xxxx')]", "123-123-xxxx"],
    ["[join(createArray('one', 'two', 'three'), ',')]", "one,two,three"],
    ["[join(createArray('one', 'two', 'three'), ';')]", "one;two;three"],
    [
      "[format('{0}, {1}. Formatted number: {2:N0}', 'Hello', 'User', 8175133)]",
      "Hello, User. Formatted number: 8,175,133",
    ],
    ["[indexOf('test', 't')]", 0],
    ["[lastIndexOf('test', 't')]", 3],
    ["[indexOf('abcdef', 'CD')]", 2],
    ["[lastIndexOf('abcdef', 'AB')]", 0],
    ["[indexOf('abcdef', 'z')]", -1],
    ["[join(createArray('one', 'two', 'three'), ',')]", "one,two,three"],
    ["[join(createArray('one', 'two', 'three'), ';')]", "one;two;three"],
    ["[last('One Two Three')]", "e"],
    ["[length('One Two Three')]", 13],
    ["[padLeft('123', 10, '0')]", "0000000123"],
    ["[replace('123-123-1234', '-', '')]", "1231231234"],
    ["[replace('123-123-1234', '1234', 'xxxx')]", "123-123-xxxx"],
    ["[skip('one two three', 4)]", "two three"],
    ["[split('one,two,three', ',')]", ["one", "two", "three"]],
    ["[split('one;two,three', createArray(',', ';'))]", ["one", "two", "three"]],
    ["[string(createObject('valueA', 10, 'valueB', 'Example Text'))]", '{"valueA":10,"valueB":"Example Text"}'],
    ["[string(createArray('a', 'b', 'c'))]", '["a","b","c"]'],
    ["[string(5)]", "5"],
    ["[substring('one two three', 4, 3)]", "two"],
    ["[take('one two three', 2)]", "on"],
    ["[toLower('One Two Three')]", "one two three"],
    ["[toUpper('One Two Three')]", "ONE TWO THREE"],
    ["[trim('    one two three   ')]", "one two three"],
    ["[uri('http://contoso.org/firstpath', 'myscript.sh')]", "http://contoso.org/myscript.sh"],
    // "If relativeUri also begins with a leading slash, the trailing slash and the leading slash are combined into one."
    ["[uri('http://contoso.org/firstpath/', '/myscript.sh')]", "http://contoso.org/firstpath/myscript.sh"],
    [
      "[uri('http://contoso.com/resources/', 'nested/azuredeploy.json')]",
      "http://contoso.com/resources/nested/azuredeploy.json",
    ],
    ["[uri('http://contoso.org/firstpath/', 'myscript.sh')]", "http://contoso.org/firstpath/myscript.sh"],
    [
      "[uri('http://contoso.org/firstpath/azuredeploy.json', 'myscript.sh')]",
      "http://contoso.org/firstpath/myscript.sh",
    ],
    [
      "[uri('http://contoso.org/firstpath/azuredeploy.json/', 'myscript.sh')]",
      "http://contoso.org/firstpath/azuredeploy.json/myscript.sh",
    ],
    [
      "[uriComponent('http://contoso.com/resources/nested/azuredeploy.json')]",
      "http%3A%2F%2Fcontoso.com%2Fresources%2Fnested%2Fazuredeploy.json",
    ],
    [
      "[uriComponentToString('http%3A%2F%2Fcontoso.com%2Fresources%2Fnested%2Fazuredeploy.json')]",
      "http://contoso.com/resources/nested/azuredeploy.json",
    ],
  ],
  array: [
    ["[array(1)]", [1]],
    ["[array('efgh')]", ["efgh"]],
    ["[array(createObject('a', 'b', 'c', 'd'))]", [{ a: "b", c: "d" }]],
    [
      "[concat(createArray('1-1', '1-2', '1-3'), createArray('2-1', '2-2', '2-3'))]",
      ["1-1", "1-2", "1-3", "2-1", "2-2", "2-3"],
    ],
    ["[contains(variables('arrayToTest'), 'three')]", true],
    ["[contains(variables('arrayToTest'), 'four')]", false],
    ["[createArray('a', 'b', 'c')]", ["a", "b", "c"]],
    ["[createArray(1, 2, 3)]", [1, 2, 3]],
    ["[createArray(variables('objectToTest'))]", [{ one: "a", two: "b", three: "c" }]],
    ["[createArray(variables('arrayToTest'))]", [["one", "two", "three"]]],
    ["[createArray()]", []],
    ["[empty(createArray())]", true],
    ["[first(variables('arrayToTest'))]", "one"],
    [
      "[flatten(createArray(createArray('one', 'two'), createArray('three'), createArray('four', 'five')))]",
      ["one", "two", "three", "four", "five"],
    ],
    ["[indexFromEnd(variables('arrayToTest'), 1)]", "three"],
    ["[indexFromEnd(variables('arrayToTest'), 3)]", "one"],
    ["[tryIndexFromEnd(variables('arrayToTest'), 2)]", "two"],
    ["[tryIndexFromEnd(variables('arrayToTest'), 4)]", null],
    ["[tryIndexFromEnd(variables('arrayToTest'), 0)]", null],
    ["[tryIndexFromEnd(createArray(), 1)]", null],
    ["[last(variables('arrayToTest'))]", "three"],
    ["[lastIndexOf(variables('names'), 'two')]", 1],
    ["[indexOf(variables('names'), 'one')]", 0],
    ["[lastIndexOf(variables('names'), 'Three')]", -1],
    ["[lastIndexOf(variables('numbers'), 4)]", 0],
    ["[indexOf(variables('numbers'), 6)]", 2],
    ["[lastIndexOf(variables('numbers'), '5')]", -1],
    ["[indexOf(variables('collection'), variables('numbers'))]", 1],
    ["[indexOf(variables('duplicates'), 1)]", 0],
    ["[lastIndexOf(variables('duplicates'), 1)]", 3],
    ["[intersection(createArray('one', 'two', 'three'), createArray('two', 'three'))]", ["two", "three"]],
    ["[length(variables('arrayToTest'))]", 3],
    ["[max(createArray(0, 3, 2, 5, 4))]", 5],
    ["[max(0,3,2,5,4)]", 5],
    ["[min(createArray(0, 3, 2, 5, 4))]", 0],
    ["[min(0,3,2,5,4)]", 0],
    ["[range(5, 3)]", [5, 6, 7]],
    ["[skip(variables('arrayToTest'), 2)]", ["three"]],
    ["[take(variables('arrayToTest'), 2)]", ["one", "two"]],
    ["[union(createArray('one', 'two', 'three'), createArray('three', 'four'))]", ["one", "two", "three", "four"]],
    [
      "[union(createArray(createArray('one', 'two'), createArray('three')), createArray(createArray('three'), createArray('four', 'two')))]",
      [["one", "two"], ["three"], ["four", "two"]],
    ],
  ],
  object: [
    ["[contains(variables('objectToTest'), 'one')]", true],
    ["[contains(variables('objectToTest'), 'a')]", false],
    [
      "[createObject('intProp', 1, 'stringProp', 'abc', 'boolProp', true(), 'arrayProp', createArray('a', 'b', 'c'), 'objectProp', createObject('key1', 'value1'))]",
      { intProp: 1, stringProp: "abc", boolProp: true, arrayProp: ["a", "b", "c"], objectProp: { key1: "value1" } },
    ],
    ["[empty(createObject())]", true],
    [
      "[intersection(createObject('one', 'a', 'two', 'b', 'three', 'c'), createObject('one', 'a', 'two', 'z', 'three', 'c'))]",
      { one: "a", three: "c" },
    ],
    [
      "[items(variables('unsortedObject'))]",
      [
        { key: "item001", value: { enabled: true, displayName: "Example item 1", number: 300 } },
        { key: "item002", value: { enabled: false, displayName: "Example item 2", number: 200 } },
      ],
    ],
    ['[json(\'{"a": "b"}\')]', { a: "b" }],
    ["[json('null')]", null],
    ["[json('[1, 2, 3]')[2]]", 3],
    [
      "[length(createObject('propA', 'one', 'propB', 'two', 'propC', 'three', 'propD', createObject('propD-1', 'sub')))]",
      4,
    ],
    ["[null()]", null],
    ["[objectKeys(createObject('a', 1, 'b', 2))]", ["a", "b"]],
    [
      "[shallowMerge(createArray(createObject('one', 'a'), createObject('two', 'b'), createObject('two', 'c')))]",
      { one: "a", two: "c" },
    ],
    [
      "[shallowMerge(createArray(createObject('one', 'a', 'nested', createObject('a', 1, 'nested', createObject('c', 3))), createObject('two', 'b', 'nested', createObject('b', 2))))]",
      { one: "a", nested: { b: 2 }, two: "b" },
    ],
    ["[tryGet(createObject('a', 1), 'b')]", null],
    ["[tryGet(createObject('a', createObject('b', 2)), 'a', 'b')]", 2],
    [
      "[union(createObject('one', 'a', 'two', 'b', 'three', 'c1'), createObject('three', 'c2', 'four', 'd', 'five', 'e'))]",
      { one: "a", two: "b", three: "c2", four: "d", five: "e" },
    ],
    [
      "[union(createObject('property', createObject('one', 'a', 'two', 'b', 'three', 'c1'), 'nestedArray', createArray(1, 2)), createObject('property', createObject('three', 'c2', 'four', 'd', 'five', 'e'), 'nestedArray', createArray(3, 4)))]",
      { property: { one: "a", two: "b", three: "c2", four: "d", five: "e" }, nestedArray: [3, 4] },
    ],
  ],
  comparison: [
    [
      "[coalesce(variables('coalesceObject').null1, variables('coalesceObject').null2, variables('coalesceObject').string)]",
      "default",
    ],
    [
      "[coalesce(variables('coalesceObject').null1, variables('coalesceObject').null2, variables('coalesceObject').int)]",
      1,
    ],
    [
      "[coalesce(variables('coalesceObject').null1, variables('coalesceObject').null2, variables('coalesceObject').object)]",
      { first: "default" },
    ],
    [
      "[coalesce(variables('coalesceObject').null1, variables('coalesceObject').null2, variables('coalesceObject').array)]",
      [1],
    ],
    ["[empty(coalesce(variables('coalesceObject').null1, variables('coalesceObject').null2))]", true],
    ["[equals(1, 1)]", true],
    ["[equals('a', 'a')]", true],
    ["[equals(createArray('a', 'b'), createArray('a', 'b'))]", true],
    ["[equals(createObject('a', 'b'), createObject('a', 'b'))]", true],
    ["[not(equals(1, 2))]", true],
    // The documented string ordering: 'A' is greater than 'a' (culture order, not code points, where 'A' < 'a').
    ["[greater(1, 2)]", false],
    ["[greater('A', 'a')]", true],
    ["[greaterOrEquals(1, 2)]", false],
    ["[greaterOrEquals('A', 'a')]", true],
    ["[less(1, 2)]", true],
    ["[less('A', 'a')]", false],
    ["[lessOrEquals(1, 2)]", true],
    ["[lessOrEquals('A', 'a')]", false],
  ],
  date: [
    // Deployed with a base time of 2020-04-07 14:53:14Z (utcNow('u')); outputs as the page's table shows them.
    ["[dateTimeAdd('2020-04-07 14:53:14Z', 'P3Y')]", "4/7/2023 2:53:14 PM"],
    ["[dateTimeAdd('2020-04-07 14:53:14Z', '-P9D')]", "3/29/2020 2:53:14 PM"],
    ["[dateTimeAdd('2020-04-07 14:53:14Z', 'PT1H')]", "4/7/2020 3:53:14 PM"],
    // Remarks: no leap years, P1Y is P365D and P1M is P30D (the page's values, rendered in its comments' format).
    ["[dateTimeAdd('2023-01-01 00:00:00Z', 'P1Y', 'yyyy-MM-ddTHH:mm:ssZ')]", "2024-01-01T00:00:00Z"],
    ["[dateTimeAdd('2024-01-01 00:00:00Z', 'P1Y', 'yyyy-MM-ddTHH:mm:ssZ')]", "2024-12-31T00:00:00Z"],
    ["[dateTimeAdd('2023-02-01 00:00:00Z', 'P1M', 'yyyy-MM-ddTHH:mm:ssZ')]", "2023-03-03T00:00:00Z"],
    ["[dateTimeAdd('2024-02-01 00:00:00Z', 'P1M', 'yyyy-MM-ddTHH:mm:ssZ')]", "2024-03-02T00:00:00Z"],
    // utcNow()'s default shape is kept when no format is given.
    ["[dateTimeAdd('20190305T175318Z', 'PT1H')]", "20190305T185318Z"],
    ["[dateTimeAdd('2019-03-05T17:53:18Z', 'P1D', 'd')]", "03/06/2019"],
    ["[dateTimeFromEpoch(1683040573)]", "2023-05-02T15:16:13Z"],
    ["[dateTimeToEpoch('2023-05-02T15:16:13Z')]", 1683040573],
    ["[dateTimeToEpoch(dateTimeFromEpoch(1683040573))]", 1683040573],
  ],
  logical: [
    ["[and(bool('true'), bool('false'))]", false],
    ["[or(bool('true'), bool('false'))]", true],
    ["[not(bool('true'))]", false],
    ["[bool('true')]", true],
    ["[bool('false')]", false],
    ["[bool(1)]", true],
    ["[bool(0)]", false],
    ["[true()]", true],
    ["[false()]", false],
    ["[if(equals('a', 'a'), 'yes', 'no')]", "yes"],
    ["[if(equals('a', 'b'), 'yes', 'no')]", "no"],
    ["[if(equals('a', 'a'), json('{\"test\": \"value1\"}'), json('null'))]", { test: "value1" }],
  ],
  numeric: [
    ["[add(5, 3)]", 8],
    ["[sub(7, 3)]", 4],
    ["[mul(5, 3)]", 15],
    ["[div(8, 3)]", 2],
    ["[mod(7, 3)]", 1],
    ["[int('4')]", 4],
    ["[float('3.5')]", 3.5],
  ],
  resource: [
    [
      "[resourceId('Microsoft.Network/virtualNetworks/subnets', 'VNet1', 'Subnet1')]",
      `${RG_ID}/providers/Microsoft.Network/virtualNetworks/VNet1/subnets/Subnet1`,
    ],
    [
      "[resourceId('otherResourceGroup', 'Microsoft.Storage/storageAccounts', 'examplestorage')]",
      `/subscriptions/${SUB}/resourceGroups/otherResourceGroup/providers/Microsoft.Storage/storageAccounts/examplestorage`,
    ],
    [
      "[resourceId('11111111-1111-1111-1111-111111111111', 'otherResourceGroup', 'Microsoft.Storage/storageAccounts', 'examplestorage')]",
      "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/otherResourceGroup/providers/Microsoft.Storage/storageAccounts/examplestorage",
    ],
    [
      "[subscriptionResourceId('Microsoft.Authorization/roleDefinitions', 'acdd72a7-3385-48ef-bd42-f606fba81ae7')]",
      `/subscriptions/${SUB}/providers/Microsoft.Authorization/roleDefinitions/acdd72a7-3385-48ef-bd42-f606fba81ae7`,
    ],
    [
      "[tenantResourceId('Microsoft.Authorization/policyDefinitions', 'locationPolicy')]",
      "/providers/Microsoft.Authorization/policyDefinitions/locationPolicy",
    ],
    [
      "[extensionResourceId(resourceGroup().id, 'Microsoft.Authorization/locks', 'lock1')]",
      `${RG_ID}/providers/Microsoft.Authorization/locks/lock1`,
    ],
    ["[resourceGroup().id]", RG_ID],
    ["[resourceGroup().name]", "rg-example"],
    ["[resourceGroup().location]", "koreacentral"],
    ["[subscription().subscriptionId]", SUB],
    ["[subscription().id]", `/subscriptions/${SUB}`],
    ["[deployment().name]", "test-deployment"],
    ["[environment().name]", "AzureCloud"],
    ["[environment().suffixes.acrLoginServer]", ".azurecr.io"],
    [
      "[managementGroupResourceId('myManagementGroup', 'Microsoft.Authorization/policyDefinitions', 'locationRestriction')]",
      "/providers/Microsoft.Management/managementGroups/myManagementGroup/providers/Microsoft.Authorization/policyDefinitions/locationRestriction",
    ],
    ["[managementGroup('myManagementGroup').id]", "/providers/Microsoft.Management/managementGroups/myManagementGroup"],
    ["[deployer().tenantId]", SUB],
    ["[tenant().tenantId]", SUB],
  ],
  cidr: [
    [
      "[parseCidr('10.144.0.0/20')]",
      {
        network: "10.144.0.0",
        netmask: "255.255.240.0",
        broadcast: "10.144.15.255",
        firstUsable: "10.144.0.1",
        lastUsable: "10.144.15.254",
        cidr: 20,
      },
    ],
    [
      "[parseCidr('fdad:3236:5555::/48')]",
      {
        network: "fdad:3236:5555::",
        netmask: "ffff:ffff:ffff::",
        firstUsable: "fdad:3236:5555::",
        lastUsable: "fdad:3236:5555:ffff:ffff:ffff:ffff:ffff",
        cidr: 48,
      },
    ],
    [
      "[map(range(0, 5), lambda('i', cidrSubnet('10.144.0.0/20', 24, lambdaVariables('i'))))]",
      ["10.144.0.0/24", "10.144.1.0/24", "10.144.2.0/24", "10.144.3.0/24", "10.144.4.0/24"],
    ],
    [
      "[map(range(0, 5), lambda('i', cidrSubnet('fdad:3236:5555::/48', 52, lambdaVariables('i'))))]",
      [
        "fdad:3236:5555::/52",
        "fdad:3236:5555:1000::/52",
        "fdad:3236:5555:2000::/52",
        "fdad:3236:5555:3000::/52",
        "fdad:3236:5555:4000::/52",
      ],
    ],
    [
      "[map(range(0, 5), lambda('i', cidrHost('10.144.3.0/24', lambdaVariables('i'))))]",
      ["10.144.3.1", "10.144.3.2", "10.144.3.3", "10.144.3.4", "10.144.3.5"],
    ],
    [
      "[map(range(0, 5), lambda('i', cidrHost('fdad:3236:5555:3000::/52', lambdaVariables('i'))))]",
      [
        "fdad:3236:5555:3000::1",
        "fdad:3236:5555:3000::2",
        "fdad:3236:5555:3000::3",
        "fdad:3236:5555:3000::4",
        "fdad:3236:5555:3000::5",
      ],
    ],
  ],
  lambda: [
    [
      "[groupBy(createArray('foo', 'bar', 'baz'), lambda('x', substring(lambdaVariables('x'), 0, 1)))]",
      { f: ["foo"], b: ["bar", "baz"] },
    ],
    ["[mapValues(createObject('foo', 'foo'), lambda('val', toUpper(lambdaVariables('val'))))]", { foo: "FOO" }],
    ["[filter(variables('dogs'), lambda('dog', greaterOrEquals(lambdaVariables('dog').age, 5)))]", [dogs[0], dogs[3]]],
    ["[map(variables('dogs'), lambda('dog', lambdaVariables('dog').name))]", ["Evie", "Casper", "Indy", "Kira"]],
    [
      "[map(variables('dogs'), lambda('dog', 'i', concat(string(lambdaVariables('i')), ':', lambdaVariables('dog').name)))]",
      ["0:Evie", "1:Casper", "2:Indy", "3:Kira"],
    ],
    [
      "[reduce(map(variables('dogs'), lambda('dog', lambdaVariables('dog').age)), 0, lambda('cur', 'next', add(lambdaVariables('cur'), lambdaVariables('next'))))]",
      18,
    ],
    [
      "[map(sort(variables('dogs'), lambda('a', 'b', less(lambdaVariables('a').age, lambdaVariables('b').age))), lambda('d', lambdaVariables('d').name))]",
      ["Indy", "Casper", "Evie", "Kira"],
    ],
    [
      "[toObject(variables('dogs'), lambda('entry', lambdaVariables('entry').name), lambda('entry', lambdaVariables('entry').age))]",
      { Evie: 5, Casper: 3, Indy: 2, Kira: 8 },
    ],
  ],
};

describe("ARM template functions: documented examples", () => {
  for (const [group, rows] of Object.entries(tables)) {
    describe(group, () => {
      it.each(rows)("%s", (expression, expected) => {
        expect(evaluate(expression, { variables })).toEqual(expected);
      });
    });
  }
});

describe("ARM template functions: names and arity", () => {
  it("matches function names case-insensitively, as Azure does", () => {
    expect(evaluate("[CONCAT('a', ToUpper('b'), toupper('c'))]")).toBe("aBC");
  });

  it("rejects an unknown function, naming it", () => {
    expect(() => evaluate("[frobnicate(1)]")).toThrow(/unknown function 'frobnicate'/);
  });

  it.each([
    ["[substring('abc')]", /function 'substring' expects 2 to 3 arguments, got 1/],
    ["[not()]", /function 'not' expects exactly 1 argument, got 0/],
    ["[guid()]", /function 'guid' expects at least 1 arguments?, got 0/],
    ["[if(true(), 1)]", /function 'if' expects exactly 3 arguments, got 2/],
    ["[resourceGroup(1)]", /function 'resourceGroup' expects exactly 0 arguments, got 1/],
  ])("reports the wrong number of arguments for %s", (expression, message) => {
    expect(() => evaluate(expression)).toThrow(message);
  });

  it("reports type errors with the function and argument position", () => {
    expect(() => evaluate("[toLower(1)]")).toThrow(/toLower\(\) argument 1 must be a String, got Integer/);
  });

  it("fails on substring beyond the end of the string", () => {
    expect(() => evaluate("[substring('1234567890', 0, 11)]")).toThrow(/extends beyond the end of the string/);
  });

  it("formats with .NET composite format rules", () => {
    expect(evaluate("[format('{0:D3}-{1,-4}|{{x}}', 7, 'ab')]")).toBe("007-ab  |{x}");
    expect(evaluate("[format('{0}', true())]")).toBe("True");
  });

  it("renders booleans as True/False when converting to strings", () => {
    // Observed ARM behaviour recorded in Azure/PSRule.Rules.Azure#793: string(true()) = 'True'.
    expect(evaluate("[string(true())]")).toBe("True");
    expect(evaluate("[string(false())]")).toBe("False");
    expect(evaluate("[concat('x', true())]")).toBe("xTrue");
  });

  it("reads properties case-sensitively first, then ignoring case (Azure/PSRule.Rules.Azure#794)", () => {
    const variables = { lookup: { True: { value: "True" }, true: { value: "true" }, false: { value: "false" } } };
    expect(evaluate("[variables('lookup')[string(empty(''))].value]", { variables })).toBe("True");
    expect(evaluate("[variables('lookup')[toLower(string(empty('')))].value]", { variables })).toBe("true");
    expect(evaluate("[variables('lookup')[string(not(empty('')))].value]", { variables })).toBe("false");
  });
});

/** Every function of Microsoft's ARM template functions reference, by page (learn.microsoft.com, 2025). */
const REFERENCE: Record<string, string[]> = {
  array: [
    "array",
    "concat",
    "contains",
    "createArray",
    "empty",
    "first",
    "flatten",
    "indexFromEnd",
    "indexOf",
    "intersection",
    "last",
    "lastIndexOf",
    "length",
    "max",
    "min",
    "range",
    "skip",
    "take",
    "tryGet",
    "tryIndexFromEnd",
    "union",
  ],
  cidr: ["parseCidr", "cidrSubnet", "cidrHost"],
  comparison: ["coalesce", "equals", "greater", "greaterOrEquals", "less", "lessOrEquals"],
  date: ["dateTimeAdd", "dateTimeFromEpoch", "dateTimeToEpoch", "utcNow"],
  deployment: ["deployer", "deployment", "environment", "parameters", "variables"],
  lambda: ["filter", "groupBy", "map", "mapValues", "reduce", "sort", "toObject"],
  logical: ["and", "bool", "false", "if", "not", "or", "true"],
  numeric: ["add", "copyIndex", "div", "float", "int", "max", "min", "mod", "mul", "sub"],
  object: [
    "contains",
    "createObject",
    "empty",
    "intersection",
    "items",
    "json",
    "length",
    "null",
    "objectKeys",
    "shallowMerge",
    "tryGet",
    "union",
  ],
  resource: [
    "extensionResourceId",
    "listKeys",
    "listAccountSas",
    "listSecrets",
    "managementGroupResourceId",
    "pickZones",
    "providers",
    "reference",
    "references",
    "resourceId",
    "subscriptionResourceId",
    "tenantResourceId",
  ],
  scope: ["managementGroup", "resourceGroup", "subscription", "tenant"],
  string: [
    "base64",
    "base64ToJson",
    "base64ToString",
    "concat",
    "contains",
    "dataUri",
    "dataUriToString",
    "empty",
    "endsWith",
    "first",
    "format",
    "guid",
    "indexOf",
    "join",
    "json",
    "last",
    "lastIndexOf",
    "length",
    "newGuid",
    "padLeft",
    "replace",
    "skip",
    "split",
    "startsWith",
    "string",
    "substring",
    "take",
    "toLower",
    "toUpper",
    "trim",
    "uniqueString",
    "uri",
    "uriComponent",
    "uriComponentToString",
  ],
};
/** Evaluated by the evaluator itself (lazily), not looked up. */
const SPECIAL_FORMS = new Set(["if", "and", "or", "coalesce"]);

describe("ARM template functions: the whole reference", () => {
  it.each(Object.entries(REFERENCE))("knows every %s function", (_page, names) => {
    const missing = names.filter((n) => !SPECIAL_FORMS.has(n) && lookupFunction(n) === undefined);
    expect(missing).toEqual([]);
  });

  it("keeps deploy-time values deferred instead of guessing them", () => {
    for (const expression of [
      "[pickZones('Microsoft.Compute', 'virtualMachines', 'westus2')]",
      "[references('storageLoop')]",
      "[providers('Microsoft.Storage')]",
      "[deployer().objectId]",
    ]) {
      expect(isDeferred(evaluate(expression)), expression).toBe(true);
    }
  });

  it("refuses what Azure refuses", () => {
    expect(() => evaluate("[indexFromEnd(createArray('a'), 2)]")).toThrow(/indexFromEnd\(\) index 2 is out of range/);
    expect(() => evaluate("[managementGroup()]")).toThrow(/only available in a management group deployment/);
    expect(() => evaluate("[dateTimeAdd('yesterday', 'P1D')]")).toThrow(/not an ISO 8601 timestamp/);
    expect(() => evaluate("[dateTimeAdd('2020-04-07T00:00:00Z', '1 day')]")).toThrow(/not an ISO 8601 duration/);
  });

  it("formats utcNow values as the date reference shows (invariant culture)", () => {
    const at = Date.UTC(2019, 2, 5, 17, 53, 18);
    expect(formatDateTime(at)).toBe("20190305T175318Z");
    expect(formatDateTime(at, "d")).toBe("03/05/2019");
    expect(formatDateTime(at, "M d")).toBe("3 5");
    expect(formatDateTime(at, "u")).toBe("2019-03-05 17:53:18Z");
    expect(formatDateTime(at, "o")).toBe("2019-03-05T17:53:18.0000000Z");
  });
});
