import { describe, expect, it } from "vitest";
import { armGuid, uniqueString } from "../../lib/arm";
import { uuidV5 } from "../../lib/arm/hash";
import { evaluate } from "./support";

describe("uniqueString", () => {
  // Vectors from the pure-bash port `uniquestring.sh` ("verified against Bicep uniqueString() output").
  it.each([
    [["test"], "rbgf3xv4ufgzg"],
    [["hello", "world"], "a7wkljktk6wne"],
    [["abc"], "cgtzqvhu4i23s"],
    [["/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/my-rg"], "bmg7c6xu4tw46"],
    [["foo", "bar", "baz"], "xzi4ioaxtmth4"],
  ])("uniqueString(%j) = %s", (args, expected) => {
    expect(uniqueString(args)).toBe(expected);
  });

  it("matches a value captured from a real ARM deployment", () => {
    // microsoft/commercial-marketplace-offer-deploy test/Tests/UnitTests/ArmFunctionsTests.cs
    // ("UniqueStringShouldEqualValueCreatedFromArmTemplate").
    const id =
      "/subscriptions/31e9f9a0-9fd2-4294-a0a3-0101246d9700/resourceGroups/rg-modm201-20230913120256/providers/Microsoft.Compute/virtualMachines/bobjacmodm201";
    expect(uniqueString([id])).toBe("yvjxno3je5on2");
  });

  it("is what the template function returns (arguments joined with '-')", () => {
    expect(evaluate("[uniqueString('hello', 'world')]")).toBe("a7wkljktk6wne");
    expect(evaluate("[uniqueString('hello-world')]")).toBe("a7wkljktk6wne");
    expect(evaluate("[uniqueString(resourceGroup().id)]")).toMatch(/^[a-z2-7]{13}$/);
  });
});

describe("guid", () => {
  it("implements RFC 4122 version-5 UUIDs", () => {
    // TensionDev.UUID UnitTestUUIDv5.TestNewUUIDv5_DNS: uuid5(DNS namespace, "www.contoso.com").
    expect(uuidV5("6ba7b810-9dad-11d1-80b4-00c04fd430c8", "www.contoso.com")).toBe(
      "016ab729-5c3f-55fe-9d10-e30cb958f0e0",
    );
  });

  it("hashes the '-'-joined arguments in ARM's namespace 11fb06fb-712d-4ddd-98c7-e71bbd588830", () => {
    // Same as Python's uuid.uuid5(UUID('11fb06fb-712d-4ddd-98c7-e71bbd588830'), 'a-b-c'), the construction
    // public ports (EmmittJ Aspire.Hosting.Pulumi.Azure ArmFunctions.cs, Terraform uuidv5 recipes) use for guid().
    expect(armGuid(["a", "b", "c"])).toBe("a98fa280-e03f-5afa-8d8e-92d0a9c201e8");
    expect(evaluate("[guid('a', 'b', 'c')]")).toBe("a98fa280-e03f-5afa-8d8e-92d0a9c201e8");
    expect(evaluate("[guid('a-b-c')]")).toBe("a98fa280-e03f-5afa-8d8e-92d0a9c201e8");
  });
});
