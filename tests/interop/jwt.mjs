// jwt.mjs: JWTs signed and verified by the npm package jose, for the
// integration tests of single sign-on (tests/integration/test_sso_interop.py):
// a partner site written in JavaScript, as another implementation than
// Gatehouse's (libjwt) and the tests' own (PyJWT).
//
//   node jwt.mjs sign   <<< '{"alg": "ES256", "key": PEM, "kid": "k1", "claims": {...}}'
//   node jwt.mjs verify <<< '{"jwks": {...}, "token": "...", "issuer": "...",
//                             "audience": "...", "algorithms": ["ES256"]}'
//
// sign: key is a PKCS#8 private key in PEM for RS* and ES*, the shared
// secret (a string, its UTF-8 bytes) for HS*; the header is {alg, typ:
// "JWT"} plus kid when given; prints the compact token.  verify: checks the
// token against the keys of the JWKS document (the one its kid names), its
// signature, exp, nbf, iss and aud; prints {"header": ..., "payload": ...}.
// Any failure: the reason on standard error, exit status 1.

import { createLocalJWKSet, importPKCS8, jwtVerify, SignJWT } from "jose";

async function readStdin() {
	const chunks = [];
	for await (const chunk of process.stdin) chunks.push(chunk);
	return JSON.parse(Buffer.concat(chunks).toString("utf8"));
}

async function sign(req) {
	const key = req.alg.startsWith("HS")
		? new TextEncoder().encode(req.key)
		: await importPKCS8(req.key, req.alg);
	const header = { alg: req.alg, typ: "JWT" };
	if (req.kid) header.kid = req.kid;
	return new SignJWT(req.claims).setProtectedHeader(header).sign(key);
}

async function verify(req) {
	const keys = createLocalJWKSet(req.jwks);
	const { payload, protectedHeader } = await jwtVerify(req.token, keys, {
		issuer: req.issuer,
		audience: req.audience,
		algorithms: req.algorithms,
	});
	return JSON.stringify({ header: protectedHeader, payload });
}

const commands = { sign, verify };
const command = commands[process.argv[2]];
if (!command) {
	process.stderr.write("usage: node jwt.mjs sign|verify < REQUEST.json\n");
	process.exit(2);
}
try {
	process.stdout.write((await command(await readStdin())) + "\n");
} catch (e) {
	process.stderr.write(`jwt.mjs ${process.argv[2]}: ${e.code || e.name}: ${e.message}\n`);
	process.exit(1);
}
