// The PKI generator's guard against gpgsm's PKCS#12 key-derivation bug (p12-kdf.ts): the
// prediction on two fixed files, and gpgsm itself agreeing with it.
import assert from 'node:assert/strict';
import { readFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { gpgsmCanRead, pbeParams, shortensInGpgsm } from './p12-kdf.js';
import { run } from './run.js';

const DIR = join(import.meta.dirname, '..', 'fixtures', 'gpgsm-p12');
const PASSWORD = 'interop';

test('pbeParams finds the certificate bag and the key bag, 2048 iterations each', async () => {
  for (const f of ['readable.p12', 'unreadable.p12']) {
    const pbes = pbeParams(await readFile(join(DIR, f)));
    assert.equal(pbes.length, 2, f);
    for (const p of pbes) {
      assert.equal(p.salt.length, 8);
      assert.equal(p.iterations, 2048);
    }
  }
});

test('the prediction: one derivation of unreadable.p12 shortens, none of readable.p12', async () => {
  const bad = pbeParams(await readFile(join(DIR, 'unreadable.p12')));
  assert.equal(bad.filter((p) => shortensInGpgsm(p, PASSWORD)).length, 1);
  assert.equal(gpgsmCanRead(await readFile(join(DIR, 'unreadable.p12')), PASSWORD), false);
  assert.equal(gpgsmCanRead(await readFile(join(DIR, 'readable.p12')), PASSWORD), true);
  // The same salt with another password is another derivation: the flag is not about the salt alone.
  assert.equal(bad.some((p) => shortensInGpgsm(p, 'another')), false);
});

test('gpgsm agrees: it imports readable.p12 and fails on unreadable.p12', async (t) => {
  const v = await run('gpgsm', ['--version']).catch(() => null);
  if (!v || v.code !== 0) {
    if (process.env.CI === 'true') assert.fail('gpgsm is missing (CI=true)');
    return t.skip('gpgsm is not installed');
  }
  for (const [file, ok] of [['readable.p12', true], ['unreadable.p12', false]] as const) {
    const home = await mkdtemp(join(tmpdir(), 'p7m-gpgsm-'));
    try {
      await writeFile(join(home, 'gpg-agent.conf'), 'allow-loopback-pinentry\n');
      const env = { ...process.env, GNUPGHOME: home, LC_ALL: 'C' };
      const r = await run('gpgsm', ['--batch', '--pinentry-mode', 'loopback', '--passphrase-fd', '0', '--import', join(DIR, file)], {
        env,
        stdin: { data: `${PASSWORD}\n` },
      });
      assert.equal(r.code === 0, ok, `${file}: exit ${r.code}\n${r.stderr}`);
      assert.equal(/secret keys imported: 1/.test(r.stderr), ok, `${file}\n${r.stderr}`);
    } finally {
      await run('gpgconf', ['--homedir', home, '--kill', 'gpg-agent']).catch(() => null);
      await rm(home, { recursive: true, force: true });
    }
  }
});
