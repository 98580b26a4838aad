"""Every set-up statement of mysql-clients-compat.md §4 that drivers and BI
tools send, answered in stage-only mode with the right columns, types and
values (through PyMySQL, which sees the wire types)."""
import unittest

import pymysql
from pymysql.constants import FIELD_TYPE as T

from harness import Server

CJ_VARS = ("/* mysql-connector-j-9.1.0 (Revision: x) */SELECT  @@session.auto_increment_increment AS "
           "auto_increment_increment, @@character_set_client AS character_set_client, "
           "@@character_set_connection AS character_set_connection, @@character_set_results AS "
           "character_set_results, @@character_set_server AS character_set_server, "
           "@@collation_server AS collation_server, @@collation_connection AS collation_connection, "
           "@@init_connect AS init_connect, @@interactive_timeout AS interactive_timeout, "
           "@@license AS license, @@lower_case_table_names AS lower_case_table_names, "
           "@@max_allowed_packet AS max_allowed_packet, @@net_write_timeout AS net_write_timeout, "
           "@@performance_schema AS performance_schema, @@sql_mode AS sql_mode, "
           "@@system_time_zone AS system_time_zone, @@time_zone AS time_zone, "
           "@@transaction_isolation AS transaction_isolation, @@wait_timeout AS wait_timeout")
SQL_MODE = ("ONLY_FULL_GROUP_BY,STRICT_TRANS_TABLES,NO_ZERO_IN_DATE,NO_ZERO_DATE,"
            "ERROR_FOR_DIVISION_BY_ZERO,NO_ENGINE_SUBSTITUTION")


class SetupStatements(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.s = Server()

    @classmethod
    def tearDownClass(cls):
        code = cls.s.stop()
        cls.s.close()
        assert code == 0

    def setUp(self):
        self.conn = pymysql.connect(host="127.0.0.1", port=self.s.mysql_port, user="root",
                                    autocommit=True)
        self.cur = self.conn.cursor()

    def tearDown(self):
        self.conn.close()

    def q(self, sql):
        self.cur.execute(sql)
        names = [d[0] for d in self.cur.description] if self.cur.description else None
        types = [d[1] for d in self.cur.description] if self.cur.description else None
        return names, types, [list(r) for r in self.cur.fetchall()]

    def err(self, sql):
        with self.assertRaises(pymysql.err.MySQLError) as e:
            self.cur.execute(sql)
        return e.exception.args[0]

    def test_connector_j_variables_query(self):  # §4 row 11
        names, types, rows = self.q(CJ_VARS)
        self.assertEqual(names, ["auto_increment_increment", "character_set_client",
                                 "character_set_connection", "character_set_results",
                                 "character_set_server", "collation_server", "collation_connection",
                                 "init_connect", "interactive_timeout", "license",
                                 "lower_case_table_names", "max_allowed_packet", "net_write_timeout",
                                 "performance_schema", "sql_mode", "system_time_zone", "time_zone",
                                 "transaction_isolation", "wait_timeout"])
        self.assertEqual(rows, [[1, "utf8mb4", "utf8mb4", "utf8mb4", "utf8mb4", "utf8mb4_0900_ai_ci",
                                 "utf8mb4_general_ci", "", 28800, "GPL", 0, 67108864, 60, 0, SQL_MODE,
                                 "UTC", "SYSTEM", "REPEATABLE-READ", 28800]])
        self.assertEqual(types[0], T.LONGLONG)
        # row 12: old drivers ask more, never "Unknown system variable"
        names, _, rows = self.q("SELECT @@query_cache_size AS query_cache_size, @@query_cache_type "
                                "AS query_cache_type, @@tx_isolation AS transaction_isolation, "
                                "@@net_buffer_length")
        self.assertEqual(rows, [[1048576, "OFF", "REPEATABLE-READ", 16384]])

    def test_charset_statements(self):  # rows 13, 14
        for sql in ("SET NAMES utf8mb4", "SET NAMES utf8", "SET CHARACTER SET utf8",
                    "SET NAMES utf8mb4 COLLATE utf8mb4_unicode_ci"):
            self.q(sql)
        self.assertEqual(self.q("select @@collation_connection, @@character_set_client")[2],
                         [["utf8mb4_unicode_ci", "utf8mb4"]])
        self.q("SET character_set_results = NULL")
        self.assertEqual(self.q("SELECT @@character_set_results")[2], [[None]])
        self.assertEqual(self.err("SET NAMES klingon"), 1115)
        self.assertEqual(self.err("SET NAMES utf8mb4 COLLATE nope_ci"), 1273)

    def test_autocommit_and_sql_mode(self):  # rows 15–18
        self.q("SET autocommit=0")
        self.assertFalse(self.conn.get_autocommit())  # PyMySQL reads the status bit
        self.q("SET @@session.autocommit=1")
        self.assertTrue(self.conn.get_autocommit())
        self.q("set autocommit=1, sql_mode = concat(@@sql_mode,',STRICT_TRANS_TABLES')")
        self.q("set autocommit=1,sql_mode=CONCAT(@@sql_mode,',STRICT_TRANS_TABLES'),"
               "session_track_system_variables = CONCAT(@@global.session_track_system_variables,"
               "',transaction_isolation'),NAMES utf8mb4")
        self.assertEqual(self.q("SELECT @@sql_mode")[2], [[SQL_MODE]])
        self.q("SET SESSION sql_mode='ANSI_QUOTES'")
        self.assertEqual(self.q("SELECT @@sql_mode")[2], [["ANSI_QUOTES"]])
        self.assertEqual(self.err("SET autocommit = 'maybe'"), 1231)

    def test_mariadb_connector_j_and_metabase(self):  # rows 19, 20, 41, 42
        names, types, rows = self.q("SELECT @@max_allowed_packet,@@system_time_zone,@@time_zone,"
                                    "@@auto_increment_increment")
        self.assertEqual(rows, [[67108864, "UTC", "SYSTEM", 1]])
        self.assertEqual(types, [T.LONGLONG, T.VAR_STRING, T.VAR_STRING, T.LONGLONG])
        names, _, rows = self.q("SHOW VARIABLES WHERE Variable_name in ('max_allowed_packet',"
                                "'system_time_zone','time_zone','auto_increment_increment')")
        self.assertEqual(names, ["Variable_name", "Value"])
        self.assertEqual(sorted(r[0] for r in rows), ["auto_increment_increment", "max_allowed_packet",
                                                      "system_time_zone", "time_zone"])
        names, _, rows = self.q(
            "SELECT @@GLOBAL.time_zone AS global_tz, @@system_time_zone AS system_tz, time_format("
            "   timediff(      now(), convert_tz(now(), @@GLOBAL.time_zone, '+00:00')   ),   '%H:%i' "
            ") AS 'offset';")
        self.assertEqual((names, rows), (["global_tz", "system_tz", "offset"], [["SYSTEM", "UTC", "00:00"]]))
        self.assertEqual(self.q("SELECT @@time_zone, @@system_time_zone")[2], [["SYSTEM", "UTC"]])

    def test_connector_net(self):  # rows 21–24
        names, _, rows = self.q("SELECT @@max_allowed_packet, @@character_set_client, \n"
                                "        @@character_set_connection, @@license, @@sql_mode, "
                                "@@lower_case_table_names, @@autocommit;")
        self.assertEqual(names, ["@@max_allowed_packet", "@@character_set_client",
                                 "@@character_set_connection", "@@license", "@@sql_mode",
                                 "@@lower_case_table_names", "@@autocommit"])
        _, types, rows = self.q("SELECT TIMEDIFF(NOW(), UTC_TIMESTAMP())")
        self.assertEqual((types, rows), ([T.TIME], [[__import__("datetime").timedelta(0)]]))
        names, types, rows = self.q("SHOW COLLATION")
        self.assertEqual(names, ["Collation", "Charset", "Id", "Default", "Compiled", "Sortlen",
                                 "Pad_attribute"])
        ids = {r[2] for r in rows}
        self.assertTrue({8, 33, 45, 46, 63, 224, 255} <= ids)
        self.assertEqual([r[1] for r in rows if r[2] == 33], ["utf8"])
        self.assertEqual(types[2], T.LONGLONG)
        names, _, rows = self.q("SHOW CHARSET")
        self.assertEqual(names, ["Charset", "Description", "Default collation", "Maxlen"])
        self.assertEqual({r[0] for r in rows}, {"ascii", "binary", "latin1", "utf8", "utf8mb4"})
        self.assertEqual(len(self.q("SHOW CHARACTER SET LIKE 'utf8%'")[2]), 2)

    def test_dbeaver_probes(self):  # rows 25–29, 50, 51
        self.assertEqual(self.q("SHOW ENGINES")[0],
                         ["Engine", "Support", "Comment", "Transactions", "XA", "Savepoints"])
        self.assertEqual(self.q("SHOW PLUGINS")[:3:2], (["Name", "Status", "Type", "Library", "License"], []))
        self.assertEqual(self.q("SELECT @@GLOBAL.character_set_server,@@GLOBAL.collation_server")[2],
                         [["utf8mb4", "utf8mb4_0900_ai_ci"]])
        self.assertEqual(self.q("SHOW VARIABLES LIKE 'lower_case_table_names'")[2],
                         [["lower_case_table_names", "0"]])
        self.assertEqual(self.q("SELECT WORD FROM INFORMATION_SCHEMA.KEYWORDS WHERE RESERVED=1 ORDER BY WORD")[:3:2],
                         (["WORD"], []))
        names, _, rows = self.q("/* ApplicationName=DBeaver 24.1 - Main */ SELECT * FROM information_schema.SCHEMATA")
        self.assertEqual(names, ["CATALOG_NAME", "SCHEMA_NAME", "DEFAULT_CHARACTER_SET_NAME",
                                 "DEFAULT_COLLATION_NAME", "SQL_PATH", "DEFAULT_ENCRYPTION"])
        self.assertEqual([r[1] for r in rows], ["information_schema", "stageproxy"])
        names, _, rows = self.q("SELECT * FROM information_schema.TABLES t\nWHERE\n\tt.TABLE_SCHEMA = "
                                "'information_schema'\n\tAND t.TABLE_NAME = 'CHECK_CONSTRAINTS'")
        self.assertEqual((len(names), rows), (21, []))
        self.assertEqual(self.q("SELECT SCHEMA_NAME TABLE_CAT FROM INFORMATION_SCHEMA.SCHEMATA  ORDER BY SCHEMA_NAME")[2],
                         [["information_schema"], ["stageproxy"]])
        names, _, rows = self.q("SELECT NULL, NULL, NULL, SCHEMA_NAME FROM INFORMATION_SCHEMA.SCHEMATA "
                                "WHERE SCHEMA_NAME LIKE 'stage%'  ORDER BY SCHEMA_NAME")
        self.assertEqual(rows, [[None, None, None, "stageproxy"]])
        self.assertEqual(self.q("SELECT DISTINCT TABLE_SCHEMA from information_schema.TABLES where "
                                "TABLE_TYPE != 'SYSTEM VIEW' ORDER BY TABLE_SCHEMA")[2], [])

    def test_isolation_read_only_and_versions(self):  # rows 30–37
        for sql in ("SELECT @@transaction_isolation", "SELECT @@tx_isolation",
                    "SELECT @@session.transaction_isolation"):
            self.assertEqual(self.q(sql)[2], [["REPEATABLE-READ"]])
        for sql in ("SELECT @@session.transaction_read_only", "SELECT @@session.tx_read_only",
                    "select @@innodb_read_only", "SELECT @@read_only"):
            self.assertEqual(self.q(sql)[2], [[0]])
        self.assertEqual(self.q("SELECT VERSION()")[2], self.q("SELECT @@version")[2])
        self.assertEqual(self.q("SELECT 1")[1:], ([T.LONGLONG], [[1]]))
        self.assertEqual(self.q("SELECT CONNECTION_ID()")[2], [[self.conn.thread_id()]])
        self.q("SET SESSION TRANSACTION ISOLATION LEVEL READ UNCOMMITTED")
        self.assertEqual(self.q("SELECT @@transaction_isolation, @@tx_isolation")[2],
                         [["READ-UNCOMMITTED", "READ-UNCOMMITTED"]])
        self.q("SET SESSION TRANSACTION READ ONLY")
        self.assertEqual(self.q("SELECT @@transaction_read_only")[2], [[1]])

    def test_odbc_grafana_safe_updates(self):  # rows 38–40
        for sql in ("SET SQL_AUTO_IS_NULL = 0", "set @@sql_select_limit=DEFAULT",
                    "SET sql_select_limit=1000", "SET SESSION time_zone='+00:00'",
                    "SET @@session.time_zone = 'UTC';", "SET time_zone = 'UTC'",
                    "SET SQL_SAFE_UPDATES=1,SQL_SELECT_LIMIT=1000,MAX_JOIN_SIZE=1000000"):
            self.q(sql)
        self.assertEqual(self.q("SELECT @@sql_select_limit, @@time_zone")[2], [[1000, "UTC"]])
        self.assertEqual(self.err("SET time_zone = 'Mars/Olympus'"), 1298)
        self.assertEqual(self.err("SET GLOBAL max_connections = 5"), 1227)
        self.assertEqual(self.err("SET version = 'x'"), 1238)
        self.assertEqual(self.err("SET no_such_variable = 1"), 1193)

    def test_transactions_use_warnings_status_grants(self):  # rows 43–49
        for sql in ("BEGIN", "START TRANSACTION", "COMMIT", "commit", "ROLLBACK", "rollback"):
            self.q(sql)
        self.q("USE `stageproxy`")
        self.assertEqual(self.q("SELECT DATABASE()")[2], [["stageproxy"]])
        self.assertEqual(self.err("USE nowhere"), 1049)
        self.assertEqual(self.q("SHOW WARNINGS")[0], ["Level", "Code", "Message"])
        self.assertEqual(self.q("show status like 'wsrep_local_state'")[:3:2], (["Variable_name", "Value"], []))
        self.assertEqual(self.q("SHOW GRANTS")[:3:2],
                         (["Grants for root@%"], [["GRANT ALL PRIVILEGES ON *.* TO `root`@`%`"]]))
        self.assertEqual(self.q("SHOW GRANTS FOR CURRENT_USER()")[2][0][0][:5], "GRANT")
        names, _, rows = self.q("SHOW FULL PROCESSLIST")
        self.assertEqual(names, ["Id", "User", "Host", "db", "Command", "Time", "State", "Info"])
        self.assertIn(self.conn.thread_id(), [r[0] for r in rows])
        self.assertEqual(self.err("KILL QUERY 99999"), 1094)
        self.assertEqual(self.err("SELECT nosuchcol"), 1054)
        self.assertEqual(self.q("SHOW WARNINGS")[2], [["Error", 1054, "Unknown column 'nosuchcol' in 'field list'"]])

    def test_tables_and_tableau(self):  # rows 9, 53–55
        self.q("USE stageproxy")
        self.assertEqual(self.q("show tables")[:3:2], (["Tables_in_stageproxy"], []))
        self.assertEqual(self.q("SHOW FULL TABLES FROM `stageproxy` WHERE Table_type = 'BASE TABLE'")[0],
                         ["Tables_in_stageproxy", "Table_type"])
        self.assertEqual(len(self.q("SHOW TABLE STATUS")[0]), 18)
        self.assertEqual(self.err("SHOW CREATE TABLE `stageproxy`.`t`"), 1146)
        self.assertEqual(self.err("DESCRIBE t"), 1146)
        self.assertEqual(self.err("SHOW FULL COLUMNS FROM t"), 1146)
        self.assertEqual(self.q("SELECT `table_name`, `column_name` FROM `information_schema`.`columns` "
                                "WHERE `data_type`='enum' AND `table_schema`=''")[2], [])
        self.assertEqual(self.err("CREATE TEMPORARY TABLE `#Tableau_1_Connect` (a int)"), 1235)
        self.assertEqual(self.err("DROP TABLE `#Tableau_1_Connect`"), 1235)
        self.assertEqual(self.q("SHOW DATABASES LIKE '%'")[2], [["information_schema"], ["stageproxy"]])
        self.assertEqual(self.q("SELECT table_name FROM information_schema.tables WHERE table_schema = "
                                "database() ORDER BY table_name")[2], [])

    def test_everything_else_is_a_clear_error(self):  # row 57
        for sql in ("INSERT INTO t VALUES (1)", "UPDATE t SET a = 1", "CREATE DATABASE d",
                    "SELECT * FROM shop.orders", "CALL p()"):
            with self.subTest(sql=sql):
                self.assertEqual(self.err(sql), 1105)
        self.assertEqual(self.err("SELECT 1 +"), 1064)


if __name__ == "__main__":
    unittest.main(verbosity=2)
