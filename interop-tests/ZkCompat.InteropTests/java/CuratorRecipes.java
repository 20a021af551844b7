import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.framework.recipes.barriers.DistributedDoubleBarrier;
import org.apache.curator.framework.recipes.cache.CuratorCache;
import org.apache.curator.framework.recipes.cache.CuratorCacheListener;
import org.apache.curator.framework.recipes.leader.LeaderLatch;
import org.apache.curator.framework.recipes.leader.LeaderLatchListener;
import org.apache.curator.framework.recipes.locks.InterProcessMutex;
import org.apache.curator.framework.recipes.queue.DistributedQueue;
import org.apache.curator.framework.recipes.queue.QueueBuilder;
import org.apache.curator.framework.recipes.queue.QueueConsumer;
import org.apache.curator.framework.recipes.queue.QueueSerializer;
import org.apache.curator.framework.recipes.shared.SharedCount;
import org.apache.curator.framework.recipes.shared.VersionedValue;
import org.apache.curator.framework.state.ConnectionState;
import org.apache.curator.retry.ExponentialBackoffRetry;

/**
 * Runs Curator 5 recipes against a ZooKeeper server or ensemble and checks what each promises.
 * Usage: CuratorRecipes connectString, where connectString is host:port[,host:port...] or several
 * such strings joined by ';', which the clients take in turn (client n connects to part n mod count),
 * so that the sessions of one recipe sit on different servers of an ensemble. Prints "OK name" or
 * "FAIL name reason" per check, exits 1 on any failure. Every client is a separate session, so the
 * recipes coordinate through the servers only. A session is promised its own writes and, after a
 * sync, everything committed before; reads of another session's writes therefore sync first (or
 * wait), which a single server never needs but an ensemble does.
 */
public final class CuratorRecipes {
    private static final int SESSION_TIMEOUT_MS = 30_000;
    private static final int CONNECTION_TIMEOUT_MS = 15_000;
    private static final long WAIT_SECONDS = 30;
    private static final String ROOT = "/curator-interop";

    private final String[] connectStrings;
    private final List<CuratorFramework> clients = new ArrayList<>();
    private int failures;

    private CuratorRecipes(String connectStrings) {
        this.connectStrings = connectStrings.split(";");
    }

    public static void main(String[] args) {
        if (args.length != 1) {
            System.err.println("usage: CuratorRecipes host:port[,host:port...][;host:port...]");
            System.exit(2);
        }
        CuratorRecipes run = new CuratorRecipes(args[0]);
        run.check("InterProcessMutex", run::interProcessMutex);
        run.check("LeaderLatch", run::leaderLatch);
        run.check("DistributedDoubleBarrier", run::doubleBarrier);
        run.check("CuratorCache", run::curatorCache);
        run.check("SharedCount", run::sharedCount);
        run.check("DistributedQueue", run::distributedQueue);
        run.closeClients();
        System.out.flush();
        // Curator and ZooKeeper leave non-daemon threads behind; leave explicitly.
        System.exit(run.failures == 0 ? 0 : 1);
    }

    /** A check returns null when it holds, or why it does not. */
    private interface Check {
        String run() throws Exception;
    }

    private void check(String name, Check check) {
        String problem;
        try {
            problem = check.run();
        } catch (Throwable t) {
            problem = t.toString().replace('\n', ' ');
        }
        if (problem == null) {
            System.out.println("OK " + name);
        } else {
            failures++;
            System.out.println("FAIL " + name + " " + problem);
        }
        System.out.flush();
    }

    private CuratorFramework newClient() throws InterruptedException {
        String connectString = connectStrings[clients.size() % connectStrings.length];
        CuratorFramework client = CuratorFrameworkFactory.newClient(connectString, SESSION_TIMEOUT_MS, CONNECTION_TIMEOUT_MS,
            new ExponentialBackoffRetry(200, 3));
        clients.add(client);
        client.start();
        if (!client.blockUntilConnected((int) WAIT_SECONDS, TimeUnit.SECONDS)) {
            throw new IllegalStateException("client did not connect to " + connectString);
        }
        return client;
    }

    private void closeClients() {
        for (CuratorFramework client : clients) {
            try {
                client.close();
            } catch (RuntimeException e) {
                System.err.println("closing a client: " + e);
            }
        }
    }

    private static <T> List<T> runAll(List<Callable<T>> tasks) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(tasks.size());
        try {
            List<Future<T>> futures = new ArrayList<>();
            for (Callable<T> task : tasks) {
                futures.add(pool.submit(task));
            }
            List<T> results = new ArrayList<>();
            for (Future<T> future : futures) {
                results.add(future.get(2 * WAIT_SECONDS, TimeUnit.SECONDS));
            }
            return results;
        } finally {
            pool.shutdownNow();
        }
    }

    /** Two sessions take turns on one lock; a counter proves nobody else held it meanwhile. */
    private String interProcessMutex() throws Exception {
        String lockPath = ROOT + "/mutex/lock";
        String counterPath = ROOT + "/mutex/counter";
        CuratorFramework a = newClient();
        CuratorFramework b = newClient();
        a.create().creatingParentContainersIfNeeded().forPath(counterPath, "0".getBytes(StandardCharsets.UTF_8));
        AtomicInteger holders = new AtomicInteger();
        AtomicInteger overlaps = new AtomicInteger();
        final int rounds = 10;
        List<Callable<Integer>> tasks = new ArrayList<>();
        for (CuratorFramework client : List.of(a, b)) {
            tasks.add(() -> {
                InterProcessMutex mutex = new InterProcessMutex(client, lockPath);
                int acquired = 0;
                for (int i = 0; i < rounds; i++) {
                    if (!mutex.acquire(WAIT_SECONDS, TimeUnit.SECONDS)) {
                        throw new IllegalStateException("acquire timed out");
                    }
                    try {
                        if (holders.incrementAndGet() != 1) {
                            overlaps.incrementAndGet();
                        }
                        // Read-modify-write without a version: only exclusive access keeps it exact.
                        int value = Integer.parseInt(new String(client.getData().forPath(counterPath), StandardCharsets.UTF_8));
                        client.setData().forPath(counterPath, Integer.toString(value + 1).getBytes(StandardCharsets.UTF_8));
                        acquired++;
                        holders.decrementAndGet();
                    } finally {
                        mutex.release();
                    }
                }
                return acquired;
            });
        }
        List<Integer> acquired = runAll(tasks);
        // B's last setData and lock release went through B's server.
        syncWith(a, ROOT + "/mutex");
        int counter = Integer.parseInt(new String(a.getData().forPath(counterPath), StandardCharsets.UTF_8));
        if (overlaps.get() != 0) {
            return overlaps.get() + " overlapping holders";
        }
        if (acquired.get(0) != rounds || acquired.get(1) != rounds) {
            return "acquisitions " + acquired;
        }
        if (counter != 2 * rounds) {
            return "counter is " + counter + ", expected " + (2 * rounds);
        }
        List<String> leftovers = a.getChildren().forPath(ROOT + "/mutex/lock");
        if (!leftovers.isEmpty()) {
            return "lock nodes left behind: " + leftovers;
        }
        return null;
    }

    /** Two participants: exactly one leads; when it closes, the other takes over. */
    private String leaderLatch() throws Exception {
        String path = ROOT + "/leader";
        CuratorFramework a = newClient();
        CuratorFramework b = newClient();
        LeaderLatch latchA = new LeaderLatch(a, path, "participant-a");
        LeaderLatch latchB = new LeaderLatch(b, path, "participant-b");
        CountDownLatch firstLeader = new CountDownLatch(1);
        CountDownLatch bLeads = new CountDownLatch(1);
        CountDownLatch aLeads = new CountDownLatch(1);
        latchA.addListener(listener(() -> { aLeads.countDown(); firstLeader.countDown(); }));
        latchB.addListener(listener(() -> { bLeads.countDown(); firstLeader.countDown(); }));
        latchA.start();
        latchB.start();
        try {
            if (!firstLeader.await(WAIT_SECONDS, TimeUnit.SECONDS)) {
                return "no leader elected";
            }
            LeaderLatch leader = latchA.hasLeadership() ? latchA : latchB;
            LeaderLatch follower = leader == latchA ? latchB : latchA;
            if (latchA.hasLeadership() == latchB.hasLeadership()) {
                return "both or neither lead: a=" + latchA.hasLeadership() + " b=" + latchB.hasLeadership();
            }
            // B's node reaches A's server a moment after B's create was acknowledged on B's server.
            if (!eventually(() -> latchA.getParticipants().size() == 2)) {
                return "participants " + latchA.getParticipants();
            }
            if (!leader.getId().equals(follower.getLeader().getId())) {
                return "follower sees leader " + follower.getLeader().getId() + ", leader is " + leader.getId();
            }
            leader.close();
            CountDownLatch takeover = follower == latchA ? aLeads : bLeads;
            if (!takeover.await(WAIT_SECONDS, TimeUnit.SECONDS) || !follower.hasLeadership()) {
                return "leadership did not move to " + follower.getId() + " after the leader closed";
            }
            if (follower.getParticipants().size() != 1) {
                return "participants after close " + follower.getParticipants();
            }
            follower.close();
            return null;
        } finally {
            closeQuietly(latchA);
            closeQuietly(latchB);
        }
    }

    private static LeaderLatchListener listener(Runnable onLeader) {
        return new LeaderLatchListener() {
            @Override
            public void isLeader() {
                onLeader.run();
            }

            @Override
            public void notLeader() {
            }
        };
    }

    private static void closeQuietly(LeaderLatch latch) {
        try {
            if (latch.getState() == LeaderLatch.State.STARTED) {
                latch.close();
            }
        } catch (Exception e) {
            System.err.println("closing a latch: " + e);
        }
    }

    /** N members: nobody gets through enter() before all arrived, all leave. */
    private String doubleBarrier() throws Exception {
        final int members = 3;
        String path = ROOT + "/barrier";
        AtomicInteger arrived = new AtomicInteger();
        AtomicInteger early = new AtomicInteger();
        List<Callable<String>> tasks = new ArrayList<>();
        for (int i = 0; i < members; i++) {
            CuratorFramework client = newClient();
            tasks.add(() -> {
                DistributedDoubleBarrier barrier = new DistributedDoubleBarrier(client, path, members);
                arrived.incrementAndGet();
                if (!barrier.enter(WAIT_SECONDS, TimeUnit.SECONDS)) {
                    return "enter timed out";
                }
                if (arrived.get() != members) {
                    early.incrementAndGet();
                }
                if (!barrier.leave(WAIT_SECONDS, TimeUnit.SECONDS)) {
                    return "leave timed out";
                }
                return "ok";
            });
        }
        List<String> results = runAll(tasks);
        if (early.get() != 0) {
            return early.get() + " member(s) entered before all arrived";
        }
        for (String result : results) {
            if (!result.equals("ok")) {
                return result;
            }
        }
        return null;
    }

    /** The cache reports creates, changes and deletes below its root, each in order. */
    private String curatorCache() throws Exception {
        String root = ROOT + "/cache";
        CuratorFramework watcher = newClient();
        CuratorFramework writer = newClient();
        writer.create().creatingParentContainersIfNeeded().forPath(root, "root".getBytes(StandardCharsets.UTF_8));
        BlockingQueue<String> events = new LinkedBlockingQueue<>();
        CountDownLatch initialized = new CountDownLatch(1);
        CuratorCacheListener listener = CuratorCacheListener.builder()
            .forCreates(node -> events.add("create " + node.getPath() + " " + text(node.getData())))
            .forChanges((before, after) -> events.add("change " + after.getPath() + " " + text(before.getData()) + "->" + text(after.getData())))
            .forDeletes(node -> events.add("delete " + node.getPath()))
            .forInitialized(initialized::countDown)
            .build();
        try (CuratorCache cache = CuratorCache.build(watcher, root)) {
            cache.listenable().addListener(listener);
            cache.start();
            if (!initialized.await(WAIT_SECONDS, TimeUnit.SECONDS)) {
                return "cache did not initialize";
            }
            String initial = events.poll(WAIT_SECONDS, TimeUnit.SECONDS);
            if (!("create " + root + " root").equals(initial)) {
                return "initial event " + initial;
            }
            // One change at a time, each awaited: otherwise the cache may legitimately merge them.
            String problem = expect(events, "create " + root + "/a 1", () -> writer.create().forPath(root + "/a", bytes("1")));
            if (problem == null) problem = expect(events, "change " + root + "/a 1->2", () -> writer.setData().forPath(root + "/a", bytes("2")));
            if (problem == null) problem = expect(events, "create " + root + "/a/b x", () -> writer.create().forPath(root + "/a/b", bytes("x")));
            if (problem == null) problem = expect(events, "change " + root + "/a/b x->y", () -> writer.setData().forPath(root + "/a/b", bytes("y")));
            if (problem == null) problem = expect(events, "delete " + root + "/a/b", () -> writer.delete().forPath(root + "/a/b"));
            if (problem == null) problem = expect(events, "delete " + root + "/a", () -> writer.delete().forPath(root + "/a"));
            if (problem == null && cache.size() != 1) problem = "cache holds " + cache.size() + " nodes, expected the root only";
            return problem;
        }
    }

    private interface Action {
        void run() throws Exception;
    }

    private static String expect(BlockingQueue<String> events, String expected, Action action) throws Exception {
        action.run();
        String got = events.poll(WAIT_SECONDS, TimeUnit.SECONDS);
        if (!expected.equals(got)) {
            return "expected event '" + expected + "', got '" + got + "'";
        }
        return null;
    }

    /** Two sessions increment one counter concurrently with compare-and-set; no increment is lost. */
    private String sharedCount() throws Exception {
        String path = ROOT + "/count";
        final int perClient = 25;
        List<SharedCount> counts = new ArrayList<>();
        List<Callable<Integer>> tasks = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            SharedCount count = new SharedCount(newClient(), path, 0);
            count.start();
            counts.add(count);
            tasks.add(() -> {
                int conflicts = 0;
                for (int n = 0; n < perClient; n++) {
                    while (true) {
                        VersionedValue<Integer> current = count.getVersionedValue();
                        if (count.trySetCount(current, current.getValue() + 1)) {
                            break;
                        }
                        conflicts++;
                    }
                }
                return conflicts;
            });
        }
        try {
            runAll(tasks);
            CuratorFramework reader = newClient();
            // The reader is a new session, on any server.
            syncWith(reader, path);
            int stored = ByteBuffer.wrap(reader.getData().forPath(path)).getInt();
            if (stored != 2 * perClient) {
                return "count is " + stored + ", expected " + (2 * perClient);
            }
            int version = reader.checkExists().forPath(path).getVersion();
            if (version != 2 * perClient) {
                return "count node version is " + version + ", expected " + (2 * perClient);
            }
            return null;
        } finally {
            for (SharedCount count : counts) {
                count.close();
            }
        }
    }

    /** Items put by one session are consumed by another, in the order they were put. */
    private String distributedQueue() throws Exception {
        String path = ROOT + "/queue";
        final int items = 20;
        QueueSerializer<String> serializer = new QueueSerializer<>() {
            @Override
            public byte[] serialize(String item) {
                return bytes(item);
            }

            @Override
            public String deserialize(byte[] bytes) {
                return text(bytes);
            }
        };
        BlockingQueue<String> taken = new LinkedBlockingQueue<>();
        AtomicReference<ConnectionState> badState = new AtomicReference<>();
        QueueConsumer<String> consumer = new QueueConsumer<>() {
            @Override
            public void consumeMessage(String item) {
                taken.add(item);
            }

            @Override
            public void stateChanged(CuratorFramework client, ConnectionState state) {
                if (!state.isConnected()) {
                    badState.set(state);
                }
            }
        };
        try (DistributedQueue<String> producer = QueueBuilder.builder(newClient(), null, serializer, path).putInBackground(false).buildQueue();
             DistributedQueue<String> consuming = QueueBuilder.builder(newClient(), consumer, serializer, path).buildQueue()) {
            producer.start();
            List<String> put = new ArrayList<>();
            for (int i = 0; i < items; i++) {
                String item = String.format("item-%02d", i);
                producer.put(item);
                put.add(item);
            }
            consuming.start();
            List<String> got = new ArrayList<>();
            for (int i = 0; i < items; i++) {
                String item = taken.poll(WAIT_SECONDS, TimeUnit.SECONDS);
                if (item == null) {
                    return "only " + got.size() + " of " + items + " items taken: " + got;
                }
                got.add(item);
            }
            if (!got.equals(put)) {
                return "taken out of order: " + got;
            }
            if (badState.get() != null) {
                return "consumer saw connection state " + badState.get();
            }
            return null;
        }
    }

    /** Brings the server of the client's session up to the leader's commits (Curator offers sync in the background only). */
    private static void syncWith(CuratorFramework client, String path) throws Exception {
        CountDownLatch done = new CountDownLatch(1);
        client.sync().inBackground((c, event) -> done.countDown()).forPath(path);
        if (!done.await(WAIT_SECONDS, TimeUnit.SECONDS)) {
            throw new IllegalStateException("sync of " + path + " did not complete");
        }
    }

    /** Polls a condition on what another session wrote until it holds or WAIT_SECONDS pass. */
    private static boolean eventually(Callable<Boolean> condition) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(WAIT_SECONDS);
        while (!condition.call()) {
            if (System.nanoTime() > deadline) {
                return false;
            }
            Thread.sleep(20);
        }
        return true;
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static String text(byte[] data) {
        return data == null ? "null" : new String(data, StandardCharsets.UTF_8);
    }
}
