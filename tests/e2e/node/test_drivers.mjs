// node mysql2 (query and execute) and the node mariadb driver against stageproxy.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import mysql from 'mysql2/promise';
import mariadb from 'mariadb';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startServer } from './harness.mjs';

const USERS = '[users]\ncarol = pa55word\n';
const servers = {};

before(async () => {
  servers.caching_sha2_password = await startServer({ config: USERS });
  servers.mysql_native_password = await startServer({ config: USERS, args: ['--auth-plugin', 'mysql_native_password'] });
});

after(async () => {
  for (const s of Object.values(servers)) assert.equal(await s.stop(), 0);
});

const logins = [['root', ''], ['carol', 'pa55word']];

test('mysql2 query: SELECT 1 is a number, both plugins, with and without password', async () => {
  for (const [plugin, s] of Object.entries(servers)) {
    for (const [user, password] of logins) {
      const c = await mysql.createConnection({ host: '127.0.0.1', port: s.port, user, password });
      const [rows, fields] = await c.query('SELECT 1');
      assert.deepEqual(rows, [{ 1: 1 }], `${plugin} ${user}`);
      assert.equal(fields[0].columnType, 8); // LONGLONG
      const [[v]] = await c.query('SELECT @@version AS v, CONNECTION_ID() AS id, USER() AS u');
      assert.match(v.v, /^8\.0\.36-stageproxy/);
      assert.equal(typeof v.id, 'number');
      assert.equal(v.u, `${user}@127.0.0.1`);
      await c.ping();
      await c.end();
    }
  }
});

test('mysql2 execute: server-side prepared statements with parameters', async () => {
  for (const s of Object.values(servers)) {
    const c = await mysql.createConnection({ host: '127.0.0.1', port: s.port, user: 'carol', password: 'pa55word' });
    const [rows] = await c.execute('SELECT ? AS a, ? AS b, ? + 1 AS c, ? AS d', [42, "it's", 41, null]);
    assert.deepEqual(rows, [{ a: 42, b: "it's", c: 42, d: null }]);
    const [vars] = await c.execute('SHOW VARIABLES LIKE ?', ['autocommit']);
    assert.deepEqual(vars, [{ Variable_name: 'autocommit', Value: 'ON' }]);
    const [[now]] = await c.execute('SELECT NOW() AS n, CURDATE() AS d, TIMEDIFF(NOW(), UTC_TIMESTAMP()) AS t');
    assert.ok(now.n instanceof Date);
    assert.equal(now.t, '00:00:00');
    await assert.rejects(c.execute('SELECT * FROM shop.orders WHERE id = ?', [1]), (e) => e.errno === 1105);
    await c.end();
  }
});

test('mysql2 and mariadb over TLS, verifying the generated certificate', async () => {
  for (const s of Object.values(servers)) {
    const ca = readFileSync(join(s.dataDir, 'tls', 'server.crt'));
    const c = await mysql.createConnection({ host: '127.0.0.1', port: s.port, user: 'carol', password: 'pa55word', ssl: { ca } });
    const [[row]] = await c.query('SELECT @@ssl_cipher AS cipher');
    assert.match(row.cipher, /^TLS_/);
    await c.end();
    const m = await mariadb.createConnection({ host: '127.0.0.1', port: s.port, user: 'carol', password: 'pa55word', ssl: { ca } });
    const rows = await m.query('SELECT @@ssl_cipher AS cipher');
    assert.match(rows[0].cipher, /^TLS_/);
    await m.end();
  }
});

test('mysql2 wrong password', async () => {
  await assert.rejects(
    mysql.createConnection({ host: '127.0.0.1', port: servers.caching_sha2_password.port, user: 'carol', password: 'nope' }),
    (e) => e.errno === 1045 && e.sqlState === '28000');
});

test('node mariadb driver: both plugins (it answers native first and follows the switch)', async () => {
  for (const [plugin, s] of Object.entries(servers)) {
    for (const [user, password] of logins) {
      const c = await mariadb.createConnection({ host: '127.0.0.1', port: s.port, user, password });
      const rows = await c.query('SELECT 1 AS one, @@autocommit AS ac');
      assert.equal(Number(rows[0].one), 1, plugin);
      assert.equal(Number(rows[0].ac), 1);
      const prepared = await c.execute('SELECT ? AS x', ['hello']);
      assert.equal(prepared[0].x, 'hello');
      await c.ping();
      await c.end();
    }
  }
});

test('mysql2: stage statements through query and execute, with wire types', async () => {
  const s = servers.caching_sha2_password;
  const c = await mysql.createConnection({ host: '127.0.0.1', port: s.port, user: 'root' });
  await c.query('CREATE STAGE IF NOT EXISTS node_stage');
  const [stages, sfields] = await c.query('SHOW STAGES');
  assert.deepEqual(sfields.map((f) => [f.name, f.columnType]),
    [['name', 253], ['stage_type', 253], ['number_of_files', 8], ['creator', 253], ['created_on', 12], ['comment', 253]]);
  assert.equal(stages.find((r) => r.name === 'node_stage').stage_type, 'Internal');
  const [rows, fields] = await c.query('LIST @node_stage');
  assert.deepEqual(rows, []);
  assert.deepEqual(fields.map((f) => [f.name, f.columnType]),
    [['name', 253], ['size', 8], ['md5', 253], ['last_modified', 253], ['creator', 253]]);
  // prepared statements: COM_STMT_PREPARE/EXECUTE of stage statements
  const [prepared] = await c.execute('SHOW STAGES LIKE ?', ['node%']);
  assert.equal(prepared.length, 1);
  assert.ok(prepared[0].created_on instanceof Date);
  const [listed] = await c.execute('SELECT name FROM LIST_STAGE(location => ?)', ['@node_stage']);
  assert.deepEqual(listed, []);
  await assert.rejects(c.execute('LIST @nope'), (e) => e.errno === 1105 && /Code: 2501/.test(e.message));
  await c.execute('DROP STAGE node_stage');
  await c.end();
});
