// node mysql2 and the node mariadb driver through stageproxy in proxy mode.
// Run by test_proxy_clients.py, which starts MariaDB (SP_DB_PORT, user
// test/testpass) and stageproxy in front of it (SP_PROXY_PORT, user root).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import mysql from 'mysql2/promise';
import mariadb from 'mariadb';

const proxy = { host: '127.0.0.1', port: +process.env.SP_PROXY_PORT, user: 'root', database: 'shop' };
const direct = { host: '127.0.0.1', port: +process.env.SP_DB_PORT, user: 'test', password: 'testpass', database: 'shop' };

const TYPED = "SELECT 1 AS i, 2.5 AS d, 'x' AS s, NULL AS n, CAST('2024-02-29 12:34:56.789' AS DATETIME(3)) AS t, "
  + "x'00ff' AS b, CAST(1e300 AS DOUBLE) AS f, CAST(? AS SIGNED) AS p";

function described(fields) {
  return fields.map((f) => [f.name, f.columnType, f.flags, f.decimals, f.characterSet]);
}

test('mysql2 query and execute see what MariaDB sends', async () => {
  const got = [];
  for (const opts of [direct, proxy]) {
    const c = await mysql.createConnection(opts);
    const [rows, fields] = await c.query(TYPED, [7]);
    const [xrows, xfields] = await c.execute(TYPED, [7]);
    got.push([rows, described(fields), xrows, described(xfields)]);
    await c.end();
  }
  assert.deepEqual(got[1], got[0]);
  assert.equal(got[1][2][0].p, 7);
});

test('mysql2: DDL, DML, transactions and prepared statements on one connection', async () => {
  const c = await mysql.createConnection(proxy);
  await c.query('CREATE TABLE n_orders (id INT PRIMARY KEY AUTO_INCREMENT, who VARCHAR(20), at DATETIME, data BLOB)');
  const [ins] = await c.execute('INSERT INTO n_orders (who, at, data) VALUES (?, ?, ?)',
    ['ann', new Date('2024-01-02T03:04:05Z'), Buffer.from([0, 1, 2, 255])]);
  assert.equal(ins.insertId, 1);
  await c.beginTransaction();
  await c.execute('INSERT INTO n_orders (who) VALUES (?)', ['bob']);
  await c.query('CREATE STAGE IF NOT EXISTS n_stage'); // local, inside the transaction
  const [stageRows] = await c.execute('LIST @n_stage'); // a locally prepared statement
  assert.deepEqual(stageRows, []);
  await c.rollback();
  const [rows] = await c.execute('SELECT who, data FROM n_orders WHERE id > ?', [0]);
  assert.deepEqual(rows, [{ who: 'ann', data: Buffer.from([0, 1, 2, 255]) }]);
  // the same statement again, and one prepared explicitly, closed and reused ids
  const st = await c.prepare('SELECT COUNT(*) AS n FROM n_orders WHERE who = ?');
  assert.deepEqual((await st.execute(['ann']))[0], [{ n: 1 }]);
  assert.deepEqual((await st.execute(['zed']))[0], [{ n: 0 }]);
  st.close();
  await assert.rejects(c.execute('SELECT * FROM nope WHERE id = ?', [1]), (e) => e.errno === 1146);
  await assert.rejects(c.execute('LIST @nope'), (e) => e.errno === 1105 && /Code: 2501/.test(e.message));
  const [[again]] = await c.execute('SELECT COUNT(*) AS n FROM n_orders');
  assert.equal(again.n, 1);
  await c.query('DROP STAGE n_stage');
  await c.end();
});

test('mysql2: a 8 MiB parameter through execute', async () => {
  const c = await mysql.createConnection({ ...proxy, maxAllowedPacket: 64 << 20 });
  await c.query('CREATE TABLE IF NOT EXISTS n_blobs (id INT PRIMARY KEY, v LONGBLOB)');
  const blob = randomBytes(8 << 20);
  await c.execute('REPLACE INTO n_blobs VALUES (?, ?)', [1, blob]);
  const [[row]] = await c.execute('SELECT v, MD5(v) AS m FROM n_blobs WHERE id = ?', [1]);
  assert.equal(row.m, createHash('md5').update(blob).digest('hex'));
  assert.ok(row.v.equals(blob));
  await c.end();
});

test('mysql2: multiple statements with a stage statement among them', async () => {
  const c = await mysql.createConnection({ ...proxy, multipleStatements: true });
  const [results] = await c.query('SELECT 1 AS a; CREATE STAGE n_multi; SHOW STAGES LIKE \'n_multi\'; SELECT 2 AS b');
  assert.equal(results.length, 4);
  assert.deepEqual(results[0], [{ a: 1 }]);
  assert.equal(results[1].affectedRows, 0);
  assert.equal(results[2][0].name, 'n_multi');
  assert.deepEqual(results[3], [{ b: 2 }]);
  await c.query('DROP STAGE n_multi');
  await c.end();
});

test('mysql2: changeUser and USE keep both sides in step', async () => {
  const c = await mysql.createConnection(proxy);
  await c.query('USE mysql');
  const [[db]] = await c.query('SELECT DATABASE() AS d');
  assert.equal(db.d, 'mysql');
  await c.query('SET @marker = 42');
  await c.changeUser({ user: 'root', database: 'shop' });
  const [[after]] = await c.query('SELECT DATABASE() AS d, @marker AS m');
  assert.deepEqual(after, { d: 'shop', m: null }); // a fresh upstream session
  const [stages] = await c.query('SHOW STAGES');
  assert.ok(Array.isArray(stages));
  await c.end();
});

test('node mariadb driver: query, execute, batch and reset', async () => {
  const c = await mariadb.createConnection(proxy);
  await c.query('CREATE TABLE IF NOT EXISTS m_items (id INT PRIMARY KEY, name VARCHAR(20))');
  await c.batch('INSERT INTO m_items VALUES (?, ?)', [[1, 'one'], [2, 'two'], [3, 'three']]);
  const rows = await c.execute('SELECT name FROM m_items WHERE id >= ? ORDER BY id', [2]);
  assert.deepEqual(rows.map((r) => r.name), ['two', 'three']);
  await c.query('SET @x = 1');
  await c.reset(); // COM_RESET_CONNECTION
  const [v] = await c.query('SELECT @x AS x, DATABASE() AS d');
  assert.deepEqual(v, { x: null, d: 'shop' });
  const stages = await c.query('SHOW STAGES');
  assert.ok(Array.isArray(stages));
  await c.end();
});
