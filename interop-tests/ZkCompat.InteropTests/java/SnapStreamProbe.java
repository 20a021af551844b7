import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.FileInputStream;
import java.io.FileOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import org.apache.jute.BinaryInputArchive;
import org.apache.jute.BinaryOutputArchive;
import org.apache.zookeeper.ZooDefs.Perms;
import org.apache.zookeeper.data.ACL;
import org.apache.zookeeper.data.Id;
import org.apache.zookeeper.server.DataTree;
import org.apache.zookeeper.server.EphemeralType;
import org.apache.zookeeper.server.ZKDatabase;
import org.apache.zookeeper.server.quorum.QuorumPacket;

/**
 * Both ends of the SNAP stream of Zab synchronisation, done by Java's own code, with a file standing
 * in for the quorum socket. Prints the database in PersistenceProbe's canonical form.
 *
 * send file       build a tree of every node kind, then write what LearnerHandler writes after a SNAP
 *                 packet (ZKDatabase.serializeSnapshot + "BenWasHere", flushed), then an UPTODATE packet
 * receive file    read it as Learner.syncWithLeader does (ZKDatabase.deserializeSnapshot, then the
 *                 signature), then the UPTODATE packet that must follow, then require the end of the file
 *
 * Needs -Dzookeeper.extendedTypesEnabled=true for the TTL node.
 */
public class SnapStreamProbe {
    static final long TIME = 1_700_000_000_000L;
    // Leader.UPTODATE, package-private in Java.
    static final int UPTODATE = 12;

    public static void main(String[] args) throws Exception {
        if (args[0].equals("send")) {
            send(args[1]);
        } else {
            receive(args[1]);
        }
    }

    static void send(String file) throws Exception {
        ZKDatabase db = new ZKDatabase(null);
        DataTree tree = db.getDataTree();
        List<ACL> open = Arrays.asList(new ACL(Perms.ALL, new Id("world", "anyone")));
        List<ACL> mixed = Arrays.asList(
            new ACL(Perms.ALL, new Id("digest", "user:Ys4/gh9VjDgZOpE3bMtbKZQ6vM4=")),
            new ACL(Perms.READ, new Id("world", "anyone")));
        long zxid = 0x100000000L;
        long owner = 0x1000001L;
        db.getSessionWithTimeOuts().put(owner, 30000);
        db.getSessionWithTimeOuts().put(0x1000002L, 4000);
        db.getSessionWithTimeOuts().put(0x7000000000000003L, 12000);

        tree.createNode("/app", "root of app".getBytes(StandardCharsets.UTF_8), open, 0, -1, ++zxid, TIME + zxid);
        tree.createNode("/app/config", new byte[] {0, 1, 2, (byte) 255}, open, 0, -1, ++zxid, TIME + zxid);
        tree.createNode("/app/lock-0000000001", new byte[0], open, owner, -1, ++zxid, TIME + zxid);
        tree.createNode("/app/member-0000000002", null, open, owner, -1, ++zxid, TIME + zxid);
        tree.createNode("/secure", "s".getBytes(StandardCharsets.UTF_8), mixed, 0, -1, ++zxid, TIME + zxid);
        tree.createNode("/secure2", "t".getBytes(StandardCharsets.UTF_8), mixed, 0, -1, ++zxid, TIME + zxid);
        tree.createNode("/ttl", new byte[] {1}, open, EphemeralType.TTL.toEphemeralOwner(60000), -1, ++zxid, TIME + zxid);
        tree.createNode("/container", new byte[] {2}, open, EphemeralType.CONTAINER_EPHEMERAL_OWNER, -1, ++zxid, TIME + zxid);
        tree.createNode("/container/child", new byte[0], open, 0, -1, ++zxid, TIME + zxid);
        byte[] large = new byte[500_000];
        for (int i = 0; i < large.length; i++) {
            large[i] = (byte) (i * 31 + 7);
        }
        tree.createNode("/large", large, open, 0, -1, ++zxid, TIME + zxid);
        for (int i = 0; i < 200; i++) {
            tree.createNode("/bulk-" + i, ("value " + i).getBytes(StandardCharsets.UTF_8), open, 0, -1, ++zxid, TIME + zxid);
            tree.createNode("/bulk-" + i + "/leaf", null, open, 0, -1, ++zxid, TIME + zxid);
        }
        tree.setData("/app", "changed".getBytes(StandardCharsets.UTF_8), 1, ++zxid, TIME + zxid);
        tree.setData("/app/config", null, 1, ++zxid, TIME + zxid);
        tree.setACL("/app/config", Arrays.asList(new ACL(Perms.READ | Perms.WRITE, new Id("ip", "127.0.0.1"))), 1);
        tree.setData("/zookeeper/config", "server.1=127.0.0.1:2888:3888:participant\nversion=100000000".getBytes(StandardCharsets.UTF_8), -1, ++zxid, TIME + zxid);
        tree.lastProcessedZxid = zxid;

        // LearnerHandler: a BufferedOutputStream on the socket, flushed after the signature.
        try (OutputStream out = new BufferedOutputStream(new FileOutputStream(file))) {
            BinaryOutputArchive oa = BinaryOutputArchive.getArchive(out);
            db.serializeSnapshot(oa);
            oa.writeString("BenWasHere", "signature");
            out.flush();
            oa.writeRecord(new QuorumPacket(UPTODATE, -1, null, null), "packet");
        }
        System.out.print(PersistenceProbe.format(db.getDataTree(), db.getSessionWithTimeOuts(), 0));
    }

    static void receive(String file) throws Exception {
        ZKDatabase db = new ZKDatabase(null);
        try (InputStream in = new BufferedInputStream(new FileInputStream(file))) {
            BinaryInputArchive ia = BinaryInputArchive.getArchive(in);
            db.deserializeSnapshot(ia);
            String signature = ia.readString("signature");
            if (!signature.equals("BenWasHere")) {
                throw new IllegalStateException("Missing signature. Got " + signature);
            }
            QuorumPacket qp = new QuorumPacket();
            ia.readRecord(qp, "packet");
            if (qp.getType() != UPTODATE || qp.getZxid() != -1) {
                throw new IllegalStateException("expected UPTODATE after the stream, got type " + qp.getType() + " zxid " + qp.getZxid());
            }
            if (in.read() != -1) {
                throw new IllegalStateException("bytes left after the UPTODATE packet");
            }
        }
        System.out.print(PersistenceProbe.format(db.getDataTree(), db.getSessionWithTimeOuts(), 0));
    }
}
