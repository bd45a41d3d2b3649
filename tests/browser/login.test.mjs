// Browser test: the login wall as a person meets it, in headless Chromium.
//
// Starts the same stack as the demo (`python3 deploy/stack.py demo`:
// spawn-fcgi responders behind lighttpd or Apache, SQLite, in a temporary
// state directory), creates a user
// with gatehousectl, then drives Debian's /usr/bin/chromium through
// playwright-core: /private/ sends it to the login page, a wrong password is
// refused, the right one lands on /private/ (screenshot saved to
// artifacts/browser-login.png, and checked: a PNG of the viewport's size,
// not empty), a CGI script behind the check sees the user,
// logout goes through the confirm form, and /private/ then sends it back to
// the login page.
//
// Prints `ok - NAME` / `not ok - NAME` lines and ends with
// `N passed, N failed`; exits 0 only when nothing failed.
//
// Environment: GATEHOUSE_BROWSER_SERVER (lighttpd or apache, default
// lighttpd), GATEHOUSE_BROWSER_PORT (default: a free port), CHROMIUM
// (default /usr/bin/chromium), GATEHOUSE_ARTIFACTS (default artifacts/),
// GATEHOUSE_BUILD_DIR (default build/, read by stack.py too).

import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const BUILD = process.env.GATEHOUSE_BUILD_DIR || join(ROOT, 'build');
const ARTIFACTS = process.env.GATEHOUSE_ARTIFACTS || join(ROOT, 'artifacts');
const SERVER = process.env.GATEHOUSE_BROWSER_SERVER || 'lighttpd';
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const USERNAME = 'alice';
const PASSWORD = `pw-${randomBytes(12).toString('base64url')}`; // new each run, never breached
const STEP_MS = 15000;

let passed = 0;
let failed = 0;
let stack = null;
let browser = null;
let stackLog = '';

function ok(name) {
	passed++;
	console.log(`ok - ${name}`);
}

function notOk(name, why) {
	failed++;
	console.log(`not ok - ${name}`);
	for (const line of String(why).split('\n').slice(0, 12))
		console.log(`    ${line}`);
}

// step runs fn as one named test; a failure is reported and ends the run
// when the steps after it depend on it (fatal).
async function step(name, fn, { fatal = true } = {}) {
	try {
		await fn();
		ok(name);
		return true;
	} catch (e) {
		notOk(name, e && e.stack ? e.stack : e);
		if (fatal)
			throw new StopRun();
		return false;
	}
}

class StopRun extends Error {}

function assert(cond, msg) {
	if (!cond)
		throw new Error(msg);
}

function freePort() {
	return new Promise((res, rej) => {
		const srv = createServer();
		srv.unref();
		srv.on('error', rej);
		srv.listen(0, '127.0.0.1', () => {
			const { port } = srv.address();
			srv.close(() => res(port));
		});
	});
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
// Below this a screenshot of the 900x700 viewport is empty or next to it:
// Chromium's PNG of a blank page of that size has 3.3 KB, of the private
// page about 16 KB.
const PNG_MIN_BYTES = 6144;

// assertPng checks that the file at path is a PNG of width x height pixels:
// at least PNG_MIN_BYTES bytes, the signature, a 13-byte IHDR chunk first
// with those dimensions, an IEND chunk last (a truncated file has none).
function assertPng(path, width, height) {
	assert(existsSync(path), `${path} does not exist`);
	const size = statSync(path).size;
	assert(size >= PNG_MIN_BYTES, `${path}: ${size} bytes, less than ${PNG_MIN_BYTES}: an empty or blank image`);
	const png = readFileSync(path);
	assert(png.subarray(0, 8).equals(PNG_SIGNATURE),
		`${path}: no PNG signature (starts with ${png.subarray(0, 8).toString('hex')})`);
	assert(png.readUInt32BE(8) === 13 && png.toString('latin1', 12, 16) === 'IHDR',
		`${path}: the first chunk is not a 13-byte IHDR`);
	const w = png.readUInt32BE(16);
	const h = png.readUInt32BE(20);
	assert(w === width && h === height, `${path}: ${w}x${h} pixels, the viewport is ${width}x${height}`);
	assert(png.toString('latin1', png.length - 8, png.length - 4) === 'IEND',
		`${path}: does not end with an IEND chunk (truncated?)`);
}

// waitReady waits until stack.py says the site is up (it prints "Stop with
// Ctrl-C" once the login page and a protected page answer) and the login
// page answers here too, or until the stack process exits.
async function waitReady(base, ms) {
	const end = Date.now() + ms;
	let last = 'stack.py has not said it is ready';
	while (Date.now() < end) {
		if (stack.exitCode !== null || stack.signalCode !== null)
			throw new Error(`stack.py exited (${stack.exitCode ?? stack.signalCode}):\n${stackLog.slice(-3000)}`);
		if (stackLog.includes('Stop with Ctrl-C')) {
			try {
				const r = await fetch(`${base}/auth/login`, { redirect: 'manual' });
				if (r.status > 0 && r.status < 500)
					return;
				last = `GET /auth/login: ${r.status}`;
			} catch (e) {
				last = String(e.cause || e);
			}
		}
		await sleep(200);
	}
	throw new Error(`site not ready within ${ms} ms (${last}):\n${stackLog.slice(-3000)}`);
}

// stopStack asks stack.py to stop (SIGTERM: it stops the web server, then
// the responders); SIGKILL after 20 s (its children get SIGTERM then, as
// their parent-death signal).
async function stopStack() {
	if (stack === null || stack.exitCode !== null || stack.signalCode !== null)
		return;
	const gone = new Promise((r) => stack.once('exit', r));
	stack.kill('SIGTERM');
	const t = setTimeout(() => stack.kill('SIGKILL'), 20000);
	await gone;
	clearTimeout(t);
}

async function main() {
	mkdirSync(ARTIFACTS, { recursive: true });
	const state = mkdtempSync(join(tmpdir(), 'gatehouse-browser-'));
	const port = Number(process.env.GATEHOUSE_BROWSER_PORT) || (await freePort());
	const base = `http://127.0.0.1:${port}`;
	const conf = join(state, 'gatehouse.conf');
	const ctl = join(BUILD, 'gatehousectl');

	try {
		await step(`stack starts (${SERVER} on ${base})`, async () => {
			assert(existsSync(join(ROOT, 'deploy', 'stack.py')), 'deploy/stack.py is missing');
			const args = [join(ROOT, 'deploy', 'stack.py'), 'demo', '--state', state,
				'--port', String(port)];
			if (SERVER === 'apache')
				args.push('--apache');
			else
				assert(SERVER === 'lighttpd', `unknown server ${SERVER}`);
			stack = spawn('python3', args, {
				cwd: ROOT,
				env: { ...process.env, PYTHONUNBUFFERED: '1' },
				stdio: ['ignore', 'pipe', 'pipe'],
			});
			const keep = (d) => {
				stackLog += d.toString();
			};
			stack.stdout.on('data', keep);
			stack.stderr.on('data', keep);
			await waitReady(base, 60000);
		});

		await step(`user ${USERNAME} created with gatehousectl`, async () => {
			assert(existsSync(conf), `${conf} was not written by stack.py`);
			const r = spawnSync(ctl, ['--config', conf, 'user', 'add', USERNAME,
				'--email', `${USERNAME}@example.org`, '--password-stdin'], {
				input: `${PASSWORD}\n`,
				encoding: 'utf8',
				timeout: 30000,
			});
			assert(r.status === 0, `gatehousectl user add: exit ${r.status}\n${r.stdout}${r.stderr}`);
		});

		await step('chromium launches', async () => {
			browser = await chromium.launch({
				executablePath: CHROMIUM,
				args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic',
					'--no-first-run', '--disable-background-networking',
					'--disable-component-update', '--disable-sync'],
				timeout: 60000,
			});
		});

		const context = await browser.newContext({ viewport: { width: 900, height: 700 } });
		context.setDefaultTimeout(STEP_MS);
		const page = await context.newPage();

		await step('/private/ sends a visitor to the login page with next=/private/', async () => {
			await page.goto(`${base}/private/`);
			const url = new URL(page.url());
			assert(url.pathname === '/auth/login', `landed on ${page.url()}`);
			assert(url.searchParams.get('next') === '/private/', `next is ${url.searchParams.get('next')}`);
			await page.locator('form.login input[name="username"]').waitFor();
			assert(await page.locator('form.login input[name="password"]').count() === 1, 'no password field');
			const next = await page.locator('form.login input[name="next"]').inputValue();
			assert(next === '/private/', `hidden next is "${next}"`);
			await page.screenshot({ path: join(ARTIFACTS, 'browser-login-form.png') });
		});

		await step('a wrong password is refused with the one message', async () => {
			await page.fill('input[name="username"]', USERNAME);
			await page.fill('input[name="password"]', 'not the password at all');
			const [resp] = await Promise.all([
				page.waitForNavigation(),
				page.click('form.login button[type="submit"]'),
			]);
			assert(resp && resp.status() === 401, `status ${resp && resp.status()}`);
			const alert = (await page.locator('.error').textContent()) || '';
			assert(alert.includes('Invalid username or password.'), `message "${alert}"`);
			const cookies = await context.cookies(base);
			assert(!cookies.some((c) => c.name === 'gatehouse'), 'a session cookie was set');
		}, { fatal: false });

		await step('the right password lands on /private/', async () => {
			await page.fill('input[name="username"]', USERNAME);
			await page.fill('input[name="password"]', PASSWORD);
			await Promise.all([
				page.waitForURL((u) => u.pathname === '/private/'),
				page.click('form.login button[type="submit"]'),
			]);
			const h1 = (await page.locator('h1').textContent()) || '';
			assert(h1.includes('Private page'), `heading is "${h1}"`);
		});

		await step('screenshot artifacts/browser-login.png is a PNG of the viewport', async () => {
			// The viewport, not the full page: its size is known.
			const path = join(ARTIFACTS, 'browser-login.png');
			rmSync(path, { force: true }); // not last run's
			writeFileSync(path, await page.screenshot());
			const { width, height } = page.viewportSize();
			assertPng(path, width, height);
		}, { fatal: false });

		await step(`a protected CGI script sees the user ${USERNAME}`, async () => {
			await Promise.all([
				page.waitForURL((u) => u.pathname === '/cgi-bin/whoami.cgi'),
				page.click('a[href="/cgi-bin/whoami.cgi"]'),
			]);
			const body = (await page.locator('body').textContent()) || '';
			assert(body.includes(`GATEHOUSE_USER=${USERNAME}\n`), `whoami says:\n${body.slice(0, 500)}`);
			if (SERVER === 'apache')
				assert(body.includes(`REMOTE_USER=${USERNAME}\n`), `whoami says:\n${body.slice(0, 500)}`);
			await page.screenshot({ path: join(ARTIFACTS, 'browser-whoami.png') });
		}, { fatal: false });

		await step(`/admin/ is refused (403) to ${USERNAME}, who lacks the role admin`, async () => {
			const resp = await page.goto(`${base}/admin/`);
			assert(resp && resp.status() === 403, `status ${resp && resp.status()}`);
		}, { fatal: false });

		await step('the session cookie is HttpOnly, SameSite=Lax, Path=/', async () => {
			const cookies = await context.cookies(base);
			const c = cookies.find((k) => k.name === 'gatehouse');
			assert(c, `no gatehouse cookie in ${cookies.map((k) => k.name).join(', ')}`);
			assert(c.httpOnly, 'not HttpOnly');
			assert(c.sameSite === 'Lax', `SameSite=${c.sameSite}`);
			assert(c.path === '/', `Path=${c.path}`);
			assert(!cookies.some((k) => k.name === 'gatehouse_csrf'), 'pre-login cookie still set');
		}, { fatal: false });

		await step('logout shows a confirm form, and posting it logs out', async () => {
			await page.goto(`${base}/auth/logout`);
			const button = page.locator('form.logout button[type="submit"]');
			await button.waitFor();
			const text = (await page.locator('main').textContent()) || '';
			assert(text.includes(USERNAME), `confirm page does not name ${USERNAME}`);
			const [resp] = await Promise.all([page.waitForNavigation(), button.click()]);
			assert(resp && resp.status() === 200, `status ${resp && resp.status()}`);
			const done = (await page.locator('main').textContent()) || '';
			assert(done.includes('You have been logged out.'), `page says "${done.trim().slice(0, 200)}"`);
			await page.screenshot({ path: join(ARTIFACTS, 'browser-logout.png') });
		});

		await step('after logout, /private/ sends the browser to the login page again', async () => {
			const cookies = await context.cookies(base);
			assert(!cookies.some((c) => c.name === 'gatehouse'), 'session cookie still set');
			await page.goto(`${base}/private/`);
			const url = new URL(page.url());
			assert(url.pathname === '/auth/login', `landed on ${page.url()}`);
			await page.locator('form.login').waitFor();
		});
	} catch (e) {
		if (!(e instanceof StopRun))
			notOk('browser test ran to the end', e && e.stack ? e.stack : e);
	} finally {
		if (browser !== null)
			await browser.close().catch(() => {});
		await stopStack();
		writeFileSync(join(ARTIFACTS, 'browser-stack.log'), stackLog);
		const logs = join(ARTIFACTS, 'browser-logs');
		rmSync(logs, { recursive: true, force: true });
		if (existsSync(join(state, 'log')))
			cpSync(join(state, 'log'), logs, { recursive: true });
		if (failed === 0)
			rmSync(state, { recursive: true, force: true });
		else
			console.log(`# state kept in ${state}; logs in artifacts/browser-logs/`);
	}
	console.log(`${passed} passed, ${failed} failed`);
	process.exitCode = failed === 0 ? 0 : 1;
}

await main();
