import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;

import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.framework.recipes.leader.LeaderLatch;
import org.apache.curator.framework.recipes.leader.LeaderLatchListener;
import org.apache.curator.framework.state.ConnectionState;
import org.apache.curator.retry.ExponentialBackoffRetry;

/**
 * Keeps N Curator LeaderLatch participants, each its own session, running on one latch path for as
 * long as the ensemble under test is reshaped, and reports whether two of them ever believed they led
 * at once. All participants live in this one JVM, so their beliefs are compared on one clock: a
 * participant's notLeader happens before it deletes its latch node, which happens before another
 * participant's isLeader, so a count above one is a real split brain, not a reporting race.
 *
 * Usage: LeaderLatchWatch connectString latchPath participants. Commands on stdin, one per line:
 *   status  prints "STATUS leaders=L changes=C max=M lost=X states=[...]"
 *   stop    closes the latches and clients, prints "SUMMARY max=M changes=C lost=X" and exits 0.
 * Every event is printed as it happens: "LEADER i", "NOTLEADER i", "STATE i NAME", "TWO-LEADERS ...".
 */
public final class LeaderLatchWatch {
    private static final int SESSION_TIMEOUT_MS = 30_000;
    private static final int CONNECTION_TIMEOUT_MS = 15_000;

    private static final AtomicInteger leaders = new AtomicInteger();
    private static final AtomicInteger maxLeaders = new AtomicInteger();
    private static final AtomicInteger changes = new AtomicInteger();
    private static final AtomicInteger lost = new AtomicInteger();
    private static final long start = System.nanoTime();

    public static void main(String[] args) throws Exception {
        if (args.length != 3) {
            System.err.println("usage: LeaderLatchWatch connectString latchPath participants");
            System.exit(2);
        }
        String connectString = args[0];
        String path = args[1];
        int count = Integer.parseInt(args[2]);
        List<CuratorFramework> clients = new ArrayList<>();
        List<LeaderLatch> latches = new ArrayList<>();
        List<String> states = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            final int id = i;
            CuratorFramework client = CuratorFrameworkFactory.newClient(connectString, SESSION_TIMEOUT_MS, CONNECTION_TIMEOUT_MS,
                new ExponentialBackoffRetry(100, 10, 1000));
            states.add("NEW");
            client.getConnectionStateListenable().addListener((c, state) -> {
                synchronized (states) {
                    states.set(id, state.name());
                }
                if (state == ConnectionState.LOST) {
                    lost.incrementAndGet();
                }
                print("STATE " + id + " " + state.name());
            });
            client.start();
            if (!client.blockUntilConnected(30, TimeUnit.SECONDS)) {
                System.out.println("FAIL client " + id + " did not connect to " + connectString);
                System.exit(1);
            }
            clients.add(client);
            LeaderLatch latch = new LeaderLatch(client, path, "participant-" + id);
            latch.addListener(new LeaderLatchListener() {
                @Override
                public void isLeader() {
                    int now = leaders.incrementAndGet();
                    changes.incrementAndGet();
                    maxLeaders.accumulateAndGet(now, Math::max);
                    print("LEADER " + id);
                    if (now > 1) {
                        print("TWO-LEADERS " + now + " participants lead at once; participant " + id + " just took over");
                    }
                }

                @Override
                public void notLeader() {
                    leaders.decrementAndGet();
                    print("NOTLEADER " + id);
                }
            });
            latches.add(latch);
        }
        for (LeaderLatch latch : latches) {
            latch.start();
        }
        print("STARTED " + count);

        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        String line;
        while ((line = in.readLine()) != null) {
            line = line.trim();
            if (line.equals("status")) {
                String snapshot;
                synchronized (states) {
                    snapshot = states.toString();
                }
                StringBuilder leading = new StringBuilder();
                for (int i = 0; i < latches.size(); i++) {
                    if (latches.get(i).hasLeadership()) {
                        leading.append(leading.length() == 0 ? "" : ",").append(i);
                    }
                }
                print("STATUS leaders=" + leaders.get() + " leading=[" + leading + "] changes=" + changes.get() + " max=" + maxLeaders.get()
                    + " lost=" + lost.get() + " states=" + snapshot);
            } else if (line.equals("stop")) {
                break;
            }
        }
        for (LeaderLatch latch : latches) {
            try {
                latch.close();
            } catch (Exception e) {
                print("closing a latch: " + e);
            }
        }
        for (CuratorFramework client : clients) {
            client.close();
        }
        print("SUMMARY max=" + maxLeaders.get() + " changes=" + changes.get() + " lost=" + lost.get());
        // Curator and ZooKeeper leave non-daemon threads behind; leave explicitly.
        System.exit(0);
    }

    private static synchronized void print(String message) {
        System.out.println(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start) + " " + message);
        System.out.flush();
    }
}
