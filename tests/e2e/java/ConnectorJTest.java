// MariaDB Connector/J (Debian libmariadb-java, the driver Metabase embeds)
// against stageproxy. Usage: java -cp mariadb-java-client.jar ConnectorJTest PORT USER PASSWORD
import java.sql.Connection;
import java.sql.DatabaseMetaData;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Types;

public class ConnectorJTest {
    static void check(boolean ok, String what) {
        if (!ok) {
            throw new AssertionError(what);
        }
    }

    public static void main(String[] args) throws Exception {
        String port = args[0], user = args[1], password = args.length > 2 ? args[2] : "";
        String url = "jdbc:mariadb://127.0.0.1:" + port + "/stageproxy?user=" + user
                + "&password=" + password + (args.length > 3 ? "&" + args[3] : "");
        try (Connection c = DriverManager.getConnection(url)) {
            try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT 1")) {
                check(rs.next(), "SELECT 1 has a row");
                check(rs.getMetaData().getColumnType(1) == Types.BIGINT, "SELECT 1 is a BIGINT");
                check(rs.getInt(1) == 1, "SELECT 1 is 1");
            }
            try (Statement st = c.createStatement();
                 ResultSet rs = st.executeQuery(
                         "SELECT @@max_allowed_packet,@@system_time_zone,@@time_zone,@@auto_increment_increment")) {
                check(rs.next(), "variables row");
                check(rs.getLong(1) == 67108864L, "max_allowed_packet");
                check("UTC".equals(rs.getString(2)) && "SYSTEM".equals(rs.getString(3)), "time zones");
            }
            try (PreparedStatement ps = c.prepareStatement("SELECT ? AS greeting, CONNECTION_ID()")) {
                ps.setString(1, "hello 'world'");
                try (ResultSet rs = ps.executeQuery()) {
                    check(rs.next() && "hello 'world'".equals(rs.getString(1)), "prepared parameter");
                }
            }
            try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT @@ssl_cipher")) {
                check(rs.next(), "ssl_cipher row");
                boolean tls = rs.getString(1).startsWith("TLS_");
                check(tls == (args.length > 3), "TLS in use: " + tls);
            }
            c.setAutoCommit(false);
            c.commit();
            c.rollback();
            c.setAutoCommit(true);
            c.setTransactionIsolation(Connection.TRANSACTION_READ_UNCOMMITTED);
            check(c.getTransactionIsolation() == Connection.TRANSACTION_READ_UNCOMMITTED, "isolation");
            check(c.isValid(2), "isValid (COM_PING)");
            check("stageproxy".equals(c.getCatalog()), "catalog");
            DatabaseMetaData md = c.getMetaData();
            check(md.getDatabaseProductVersion().startsWith("8.0.36-stageproxy"), "version");
            try (ResultSet rs = md.getTables("stageproxy", null, "%", null)) {
                check(!rs.next(), "no tables");
            }
            try (ResultSet rs = md.getCatalogs()) {
                int n = 0;
                while (rs.next()) {
                    n++;
                }
                check(n == 2, "two catalogs, got " + n);
            }
            try (Statement st = c.createStatement()) {
                st.executeQuery("SELECT * FROM shop.orders");
                check(false, "a data query without upstream must fail");
            } catch (SQLException e) {
                check(e.getErrorCode() == 1105, "error 1105, got " + e.getErrorCode());
            }
        }
        System.out.println("ok");
    }
}
