import java.io.File;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.zookeeper.data.ACL;
import org.apache.zookeeper.data.StatPersisted;
import org.apache.zookeeper.server.DataNode;
import org.apache.zookeeper.server.DataTree;
import org.apache.zookeeper.server.persistence.FileTxnSnapLog;

/**
 * Restores a data directory with Java's own FileTxnSnapLog and prints it in the canonical form of
 * ZkCompat's DataDirDump, so the two restores can be compared line by line.
 *
 * dump dataDir dataLogDir      print the restored database
 * resave dataDir dataLogDir    restore, then write a snapshot with the stream mode chosen by
 *                              -Dzookeeper.snapshot.compression.method
 */
public class PersistenceProbe {
    public static void main(String[] args) throws Exception {
        String mode = args[0];
        File dataDir = new File(args[1]);
        File dataLogDir = new File(args[2]);
        FileTxnSnapLog snapLog = new FileTxnSnapLog(dataLogDir, dataDir);
        DataTree tree = new DataTree();
        ConcurrentHashMap<Long, Integer> sessions = new ConcurrentHashMap<>();
        long zxid = snapLog.restore(tree, sessions, (hdr, rec, digest) -> { });
        if (mode.equals("resave")) {
            snapLog.save(tree, sessions, true);
            System.out.println("saved 0x" + Long.toHexString(tree.lastProcessedZxid));
        } else {
            System.out.print(format(tree, sessions, zxid));
        }
        snapLog.close();
    }

    static String format(DataTree tree, Map<Long, Integer> sessions, long zxid) {
        StringBuilder sb = new StringBuilder();
        sb.append("zxid 0x").append(Long.toHexString(zxid)).append('\n');
        sb.append("digest ").append(tree.getTreeDigest()).append('\n');
        for (Map.Entry<Long, Integer> s : new TreeMap<>(sessions).entrySet()) {
            sb.append("session 0x").append(Long.toHexString(s.getKey())).append(' ').append(s.getValue()).append('\n');
        }
        List<String> paths = new ArrayList<>();
        collect(tree, "/", paths);
        Collections.sort(paths);
        for (String path : paths) {
            DataNode node = tree.getNode(path);
            StatPersisted st = node.stat;
            byte[] data = node.getData();
            sb.append(path).append(" data=").append(data == null ? "null" : hex(data));
            sb.append(" acl=");
            List<ACL> acls = tree.getACL(node);
            for (int i = 0; i < acls.size(); i++) {
                ACL a = acls.get(i);
                if (i > 0) {
                    sb.append(',');
                }
                sb.append(a.getPerms()).append(':').append(a.getId().getScheme()).append(':').append(a.getId().getId());
            }
            sb.append(" czxid=0x").append(Long.toHexString(st.getCzxid()));
            sb.append(" mzxid=0x").append(Long.toHexString(st.getMzxid()));
            sb.append(" pzxid=0x").append(Long.toHexString(st.getPzxid()));
            sb.append(" ctime=").append(st.getCtime());
            sb.append(" mtime=").append(st.getMtime());
            sb.append(" version=").append(st.getVersion());
            sb.append(" cversion=").append(st.getCversion());
            sb.append(" aversion=").append(st.getAversion());
            sb.append(" ephemeralOwner=0x").append(Long.toHexString(st.getEphemeralOwner()));
            sb.append(" numChildren=").append(node.getChildren().size());
            sb.append('\n');
        }
        return sb.toString();
    }

    static void collect(DataTree tree, String path, List<String> paths) {
        DataNode node = tree.getNode(path);
        if (node == null) {
            return;
        }
        paths.add(path);
        for (String child : new ArrayList<>(node.getChildren())) {
            collect(tree, path.equals("/") ? "/" + child : path + "/" + child, paths);
        }
    }

    static String hex(byte[] bytes) {
        StringBuilder sb = new StringBuilder();
        for (byte b : bytes) {
            sb.append(String.format("%02x", b & 0xff));
        }
        return sb.toString();
    }
}
