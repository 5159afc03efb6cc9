import { DefaultAzureCredential } from "@azure/identity";
import { describe, expect, it } from "vitest";
import { ARM_TOKEN_ENV, createArmConnection, isLoopbackUrl, LocalTokenIssuer } from "../../lib/azure";

describe("createArmConnection", () => {
  it("targets the public cloud with DefaultAzureCredential by default", () => {
    const c = createArmConnection();
    expect(c).toMatchObject({
      cloud: "AzureCloud",
      endpoint: "https://management.azure.com",
      credentialScopes: ["https://management.azure.com/.default"],
      isLocal: false,
    });
    expect(c.credential).toBeInstanceOf(DefaultAzureCredential);
    expect(c.clientOptions).toEqual({
      endpoint: "https://management.azure.com",
      credentials: { scopes: ["https://management.azure.com/.default"] },
      credentialScopes: ["https://management.azure.com/.default"],
      // The token-host guard, before the token is asked for and again before the request goes out.
      additionalPolicies: [
        { policy: expect.objectContaining({ name: "tokenHostGuard-call" }), position: "perCall" },
        { policy: expect.objectContaining({ name: "tokenHostGuard-retry" }), position: "perRetry" },
      ],
    });
    expect(createArmConnection().credential).toBe(c.credential);
  });

  it("picks the sovereign clouds' endpoints and token audiences", () => {
    expect(createArmConnection({ cloud: "AzureChinaCloud" })).toMatchObject({
      endpoint: "https://management.chinacloudapi.cn",
      credentialScopes: ["https://management.chinacloudapi.cn/.default"],
    });
    expect(createArmConnection({ cloud: "AzureUSGovernment" })).toMatchObject({
      endpoint: "https://management.usgovcloudapi.net",
      credentialScopes: ["https://management.usgovcloudapi.net/.default"],
    });
  });

  it("uses the local token issuer (the static token for ARM) and the extra CA for a loopback stand-in", async () => {
    const c = createArmConnection({
      armEndpoint: "https://127.0.0.1:8443/",
      token: "local-token",
      ca: "-----BEGIN CERTIFICATE-----",
    });
    expect(c).toMatchObject({
      endpoint: "https://127.0.0.1:8443",
      isLocal: true,
      clientOptions: { tlsOptions: { ca: "-----BEGIN CERTIFICATE-----" } },
    });
    expect(c.credential).toBeInstanceOf(LocalTokenIssuer);
    expect((await c.credential.getToken(c.credentialScopes))?.token).toBe("local-token");
  });

  it("reads the static token from AKS_PLATFORM_ARM_TOKEN and says so when it is missing", async () => {
    const saved = process.env[ARM_TOKEN_ENV];
    try {
      process.env[ARM_TOKEN_ENV] = "from-env";
      expect(
        (
          await createArmConnection({ armEndpoint: "https://localhost:9000" }).credential.getToken(
            "https://management.azure.com/.default",
          )
        )?.token,
      ).toBe("from-env");
      delete process.env[ARM_TOKEN_ENV];
      expect(() => createArmConnection({ armEndpoint: "https://[::1]:9000" })).toThrow(/AKS_PLATFORM_ARM_TOKEN/);
    } finally {
      if (saved === undefined) delete process.env[ARM_TOKEN_ENV];
      else process.env[ARM_TOKEN_ENV] = saved;
    }
  });

  it("refuses a plain-http endpoint (the SDK would refuse the bearer token anyway)", () => {
    expect(() => createArmConnection({ armEndpoint: "http://127.0.0.1:8080", token: "t" })).toThrow(/armEndpoint/);
  });

  it("recognises loopback hosts only", () => {
    expect(
      ["https://127.0.0.1", "https://127.1.2.3:1", "https://localhost", "https://[::1]:5"].map(isLoopbackUrl),
    ).toEqual([true, true, true, true]);
    expect(isLoopbackUrl("https://management.azure.com")).toBe(false);
  });
});
