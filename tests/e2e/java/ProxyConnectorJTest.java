// MariaDB Connector/J through stageproxy in proxy mode, with server-side
// prepared statements (COM_STMT_* in the binary protocol) for upstream
// statements and stage statements alike.
// Usage: java -cp mariadb-java-client.jar ProxyConnectorJTest.java PORT
import java.security.MessageDigest;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Timestamp;
import java.sql.Types;
import java.util.HexFormat;
import java.util.Random;

public class ProxyConnectorJTest {
    static void check(boolean ok, String what) {
        if (!ok) {
            throw new AssertionError(what);
        }
    }

    static String md5(byte[] b) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("MD5").digest(b));
    }

    public static void main(String[] args) throws Exception {
        String url = "jdbc:mariadb://127.0.0.1:" + args[0] + "/shop?user=root&password="
                + "&useServerPrepStmts=true&allowMultiQueries=true&maxAllowedPacket=134217728";
        try (Connection c = DriverManager.getConnection(url)) {
            check(c.getMetaData().getDatabaseProductVersion().contains("MariaDB"), "the upstream's version");
            try (Statement st = c.createStatement()) {
                st.execute("DROP TABLE IF EXISTS j_items");
                st.execute("CREATE TABLE j_items (id INT PRIMARY KEY, name VARCHAR(40), price DECIMAL(10,2),"
                        + " at TIMESTAMP(3) NULL, data LONGBLOB)");
            }
            // server-side prepared INSERT in a batch, inside a transaction that is rolled back
            c.setAutoCommit(false);
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO j_items (id, name, price, at) VALUES (?, ?, ?, ?)")) {
                for (int i = 1; i <= 100; i++) {
                    ps.setInt(1, i);
                    ps.setString(2, "item " + i);
                    ps.setBigDecimal(3, new java.math.BigDecimal(i + ".25"));
                    ps.setTimestamp(4, Timestamp.valueOf("2024-02-29 12:00:00.123"));
                    ps.addBatch();
                }
                int[] counts = ps.executeBatch();
                check(counts.length == 100, "batch of 100");
            }
            try (Statement st = c.createStatement()) {
                st.execute("CREATE STAGE IF NOT EXISTS j_stage"); // a stage statement inside the transaction
            }
            c.rollback();
            try (PreparedStatement ps = c.prepareStatement("SELECT COUNT(*) FROM j_items")) {
                ResultSet rs = ps.executeQuery();
                check(rs.next() && rs.getInt(1) == 0, "rolled back");
            }
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO j_items (id, name, price, at) VALUES (?, ?, ?, ?)")) {
                ps.setInt(1, 7);
                ps.setString(2, "seven 'quoted'");
                ps.setBigDecimal(3, new java.math.BigDecimal("7.50"));
                ps.setTimestamp(4, Timestamp.valueOf("2024-02-29 12:34:56.789"));
                check(ps.executeUpdate() == 1, "insert");
            }
            c.commit();
            c.setAutoCommit(true);
            try (PreparedStatement ps = c.prepareStatement("SELECT id, name, price, at FROM j_items WHERE id = ?")) {
                ps.setInt(1, 7);
                try (ResultSet rs = ps.executeQuery()) {
                    check(rs.next(), "a row");
                    check(rs.getMetaData().getColumnType(3) == Types.DECIMAL, "DECIMAL column");
                    check("seven 'quoted'".equals(rs.getString(2)), "name");
                    check(new java.math.BigDecimal("7.50").equals(rs.getBigDecimal(3)), "price");
                    check(Timestamp.valueOf("2024-02-29 12:34:56.789").equals(rs.getTimestamp(4)), "timestamp");
                }
            }
            // a 32 MiB parameter through COM_STMT_EXECUTE, and back in the binary protocol
            byte[] blob = new byte[32 << 20];
            new Random(7).nextBytes(blob);
            try (PreparedStatement ps = c.prepareStatement("UPDATE j_items SET data = ? WHERE id = ?")) {
                ps.setBytes(1, blob);
                ps.setInt(2, 7);
                check(ps.executeUpdate() == 1, "blob update");
            }
            try (PreparedStatement ps = c.prepareStatement("SELECT data, MD5(data) FROM j_items WHERE id = ?")) {
                ps.setInt(1, 7);
                try (ResultSet rs = ps.executeQuery()) {
                    check(rs.next(), "blob row");
                    check(md5(blob).equals(rs.getString(2)), "md5 upstream");
                    check(md5(rs.getBytes(1)).equals(md5(blob)), "blob bytes back");
                }
            }
            // stage statements prepared on the same connection
            try (PreparedStatement ps = c.prepareStatement("SHOW STAGES LIKE ?")) {
                ps.setString(1, "j_%");
                try (ResultSet rs = ps.executeQuery()) {
                    check(rs.next() && "j_stage".equals(rs.getString(1)), "stage listed");
                }
            }
            try (PreparedStatement ps = c.prepareStatement("LIST @j_stage")) {
                try (ResultSet rs = ps.executeQuery()) {
                    check(!rs.next(), "empty stage");
                }
            }
            // errors keep their codes; the connection goes on
            try (PreparedStatement ps = c.prepareStatement("SELECT * FROM j_nope WHERE id = ?")) {
                ps.setInt(1, 1);
                ps.executeQuery();
                check(false, "a missing table must fail");
            } catch (SQLException e) {
                check(e.getErrorCode() == 1146, "1146, got " + e.getErrorCode());
            }
            try (Statement st = c.createStatement()) {
                check(st.execute("SELECT 1; SHOW STAGES; SELECT 2"), "multi-statement");
                check(st.getMoreResults() && st.getMoreResults(), "three results");
                ResultSet rs = st.getResultSet();
                check(rs.next() && rs.getInt(1) == 2, "the third");
                st.execute("DROP STAGE j_stage");
            }
            check(c.isValid(2), "isValid");
        }
        System.out.println("ok");
    }
}
