namespace ZkCompat.InteropTests.ZkCli;

/// <summary>
/// The zkCli sessions compared between Java and ZkCompat, grouped by theme. Together they use every
/// zkCli command that applies to a standalone server, and the errors users meet most.
/// </summary>
public static class ZkCliScripts
{
    public static readonly ZkCliScript NodesAndVersions = ZkCliScript.Parse("nodes-and-versions", """
        create /crud hello
        create /crud/child c1
        get /crud
        get -s /crud
        stat /crud
        set /crud world
        set -s /crud again
        # dataVersion is 2 now: the first -v matches, the second does not
        set -v 2 /crud v3
        set -v 2 /crud v4
        get -s /crud
        delete -v 7 /crud/child
        delete -v 0 /crud/child
        stat /crud
        create /crud/a
        create /crud/a/b bee
        create /crud/c
        deleteall /crud/a
        ls /crud
        create /crud/c/d
        create /crud/e
        create /crud/e/f
        # a batch size below the subtree size makes deleteall send several multi requests
        deleteall /crud -b 2
        stat /crud
        create /empty
        get /empty
        create /empty-string ""
        get -s /empty-string
        create "/with space" "two words"
        get "/with space"
        delete "/with space"
        """,
        "Created /crud/child",
        "numChildren = 1",
        "version No is not valid : /crud",
        "version No is not valid : /crud/child",
        "dataVersion = 3",
        "[c]",
        "Node does not exist: /crud",
        "two words");

    public static readonly ZkCliScript CreateModes = ZkCliScript.Parse("create-modes", """
        create /modes
        create -s /modes/seq- a
        create -s /modes/seq- b
        create -e /modes/eph e
        create -e -s /modes/ephseq- f
        create -c /modes/container
        create -t 60000 /modes/ttl t
        create -s -t 60000 /modes/ttlseq- u
        create -c /modes/container/child in-container
        ls /modes
        stat /modes
        stat /modes/eph
        stat /modes/ephseq-0000000003
        stat /modes/container
        stat /modes/ttl
        getEphemerals
        getEphemerals /modes
        getEphemerals /modes/eph
        getAllChildrenNumber /modes
        create -e /modes/eph/child
        create -t 0 /modes/ttl-zero
        create -t -5 /modes/ttl-negative
        create -e -t 1000 /modes/eph-ttl
        create -c -t 1000 /modes/container-ttl
        create -s /modes/seq-
        ls /modes
        """,
        "Created /modes/seq-0000000000",
        "Created /modes/seq-0000000001",
        "Created /modes/ephseq-0000000003",
        "Created /modes/ttl",
        "Created /modes/ttlseq-0000000006",
        "[/modes/eph, /modes/ephseq-0000000003]",
        "ephemeralOwner = <session1>",
        "Ephemerals cannot have children: /modes/eph/child") with
    {
        NeedsExtendedTypes = true,
    };

    public static readonly ZkCliScript Listing = ZkCliScript.Parse("listing", """
        create /tree
        create /tree/a 1
        create /tree/b 2
        create /tree/a/x
        create /tree/a/y
        create /tree/a/x/deep
        ls /
        ls /tree
        ls -s /tree
        ls -R /tree
        ls -R /tree/a/x/deep
        ls /zookeeper
        ls -R /zookeeper
        getAllChildrenNumber /
        getAllChildrenNumber /tree
        getAllChildrenNumber /tree/b
        getAllChildrenNumber /missing
        ls /missing
        ls -w /tree
        create /tree/c  # 1 event
        ls -s -w /tree
        delete /tree/c  # 1 event
        ls -w -R /tree/a
        create /tree/a/z  # 1 event
        ls -R /
        """,
        "[a, b]",
        "/tree/a/x/deep",
        "[config, quota]",
        "9",
        "Node does not exist: /missing",
        "WATCHER:: WatchedEvent state:SyncConnected type:NodeChildrenChanged path:/tree");

    public static readonly ZkCliScript Watches = ZkCliScript.Parse("watches", """
        create /w
        create /w/a one
        get -w /w/a
        set /w/a two  # 1 event
        set /w/a three
        stat -w /w/new
        create /w/new n  # 1 event
        stat -w /w/new
        set /w/new m  # 1 event
        ls -w /w
        create /w/b  # 1 event
        get -w /w/b
        ls -w /w
        delete /w/b  # 2 events
        addWatch -m PERSISTENT /w
        set /w data  # 1 event
        create /w/c  # 1 event
        set /w/c cc
        set /w data2  # 1 event
        addWatch -m PERSISTENT_RECURSIVE /w/a
        set /w/a four  # 1 event
        create /w/a/deep  # 1 event
        set /w/a/deep x  # 1 event
        delete /w/a/deep  # 1 event
        removewatches /w/a  # 1 event
        set /w/a five
        removewatches /w/a
        addWatch /w/new
        create /w/new/x  # 1 event
        removewatches /w/new -a  # 1 event
        get -w /w/new
        removewatches /w/new -c
        removewatches /w/new -d  # 1 event
        ls -w /w/new
        removewatches /w/new -d
        removewatches /w/new -c  # 1 event
        removewatches /missing
        addWatch -m NOT_A_MODE /w
        printwatches
        printwatches off
        get -w /w/a
        set /w/a silent
        # the event thread runs sync's callback after the silenced event: no race with "on"
        sync /w
        printwatches on
        removewatches /w -a  # 1 event
        set /w quiet
        get -w /w
        # -l: the client drops its watch even if the server request fails; it is still sent
        removewatches /w -d -l  # 1 event
        set /w unwatched
        """,
        "WATCHER:: WatchedEvent state:SyncConnected type:NodeDataChanged path:/w/a",
        "WATCHER:: WatchedEvent state:SyncConnected type:NodeCreated path:/w/new",
        "WATCHER:: WatchedEvent state:SyncConnected type:NodeDeleted path:/w/b",
        "WATCHER:: WatchedEvent state:SyncConnected type:NodeChildrenChanged path:/w",
        "WATCHER:: WatchedEvent state:SyncConnected type:NodeCreated path:/w/a/deep",
        "WATCHER:: WatchedEvent state:SyncConnected type:PersistentWatchRemoved path:/w/a",
        "WATCHER:: WatchedEvent state:SyncConnected type:DataWatchRemoved path:/w/new",
        "WATCHER:: WatchedEvent state:SyncConnected type:ChildWatchRemoved path:/w/new",
        "KeeperErrorCode = No such watcher for /w/a");

    public static readonly ZkCliScript AclsAndAuth = ZkCliScript.Parse("acls-and-auth", """
        create /acl data
        getAcl /acl
        getAcl -s /acl
        setAcl /acl world:anyone:cdra
        get /acl
        set /acl x
        getAcl /acl
        setAcl -v 5 /acl world:anyone:cdrwa
        setAcl -s -v 1 /acl world:anyone:cdrwa
        setAcl /acl auth::cdrwa
        addauth digest alice:secret
        whoami
        setAcl /acl auth::cdrwa
        getAcl /acl
        create /acl/child c
        getAcl /acl/child
        create /acl/prot p auth::cdrwa
        getAcl /acl/prot
        create /dig d digest:bob:snkCmezwn5921uUklE+vnN9NoJk=:cdrwa
        get /dig
        getAcl /dig
        addauth digest bob:bobpass
        get /dig
        whoami
        create /ipok i ip:127.0.0.1:cdrwa
        get /ipok
        create /ipno i ip:10.1.2.3:cdrwa
        get /ipno
        ls /ipno
        stat /ipno
        create /ipnet n ip:127.0.0.0/8:r
        get /ipnet
        set /ipnet y
        setAcl -R /acl world:anyone:r
        getAcl /acl/child
        getAcl /acl/prot
        setAcl /ipok foo:bar:cdrwa
        setAcl /ipok ip:300.1.1.1:cdrwa
        setAcl /ipok digest:onlyuser:cdrwa
        create /multi m world:anyone:r,ip:127.0.0.1:cdrwa
        getAcl /multi
        create /readonly r world:anyone:r
        create /readonly/child
        delete /readonly
        create /nodelete d world:anyone:crwa
        create /nodelete/child
        delete /nodelete/child
        create /admin-only a digest:carol:O4r7mDbpD85yyaUIdpUyS+5dpOQ=:a
        getAcl /admin-only
        setAcl /admin-only world:anyone:cdrwa
        close  # 1 event
        connect {server}  # 1 event
        whoami
        get /acl/prot
        get /dig
        getAcl /dig
        set /acl nope
        create /acl/x
        setAcl /ipok auth::cdrwa
        addauth digest alice:secret
        set /acl/prot newdata
        ls /acl
        """,
        "'world,'anyone",
        ": cdra",
        "Insufficient permission : /acl",
        "Acl is not valid : /acl",
        "digest: alice",
        "'digest,'alice:aYXlLOpEooaV1cRAvUL1fp9Qt7E=",
        "'ip,'127.0.0.1",
        "Insufficient permission : /ipno",
        "Insufficient permission : /dig",
        "Acl is not valid : /ipok");

    public static readonly ZkCliScript Session = ZkCliScript.Parse("session", """
        whoami
        config
        config -s
        config -c
        sync /
        sync /missing
        version
        create -e /session-eph owned
        create -e /other-eph
        getEphemerals
        getEphemerals /session-eph
        stat /session-eph
        printwatches
        close  # 1 event
        ls /
        get /session-eph
        close
        connect {server}  # 1 event
        ls /
        getEphemerals
        whoami
        create -e /second
        getEphemerals /
        stat /second
        close  # 1 event
        connect {server}  # 1 event
        ls /
        quit
        """,
        "Auth scheme: User",
        "ip: 127.0.0.1",
        "Sync is OK",
        "[/other-eph, /session-eph]",
        "Not connected",
        "WATCHER:: WatchedEvent state:Closed type:None path:null",
        "[zookeeper]");

    public static readonly ZkCliScript Errors = ZkCliScript.Parse("errors", """
        create /e
        create /e
        create /e/child
        delete /e
        delete /missing
        get /missing
        set /missing x
        stat /missing
        getAcl /missing
        setAcl /missing world:anyone:r
        create /no/parent
        create /e/
        create e
        create //double
        get e/child
        ls relative
        delete /
        create /zookeeper/x
        delete /zookeeper/quota
        delete /zookeeper
        set /zookeeper/config changed
        create -e /eph
        create /eph/child
        create -s /eph/seq
        create -t 1000 /ttl-disabled
        reconfig -remove 1
        reconfig -add server.5=localhost:2888:3888
        """,
        "Node already exists: /e",
        "Node not empty: /e",
        "Node does not exist: /missing",
        "Node does not exist: /no/parent",
        "Path must not end with / character",
        "Path must start with / character",
        "Arguments are not valid : /",
        "Created /zookeeper/x",
        "Ephemerals cannot have children: /eph/child",
        "KeeperErrorCode = Reconfig is disabled");

    public static readonly ZkCliScript Quotas = ZkCliScript.Parse("quotas", """
        create /q
        create /q/a 12345
        setquota -n 3 /q
        listquota /q
        create /q/b
        create /q/c
        listquota /q
        setquota -b 10 /q
        delquota -n /q
        listquota /q
        delquota /q
        listquota /q
        setquota -N 5 /q
        listquota /q
        create /q/d
        create /q/e
        create /q/f
        setquota -B 20 /q/a
        set /q/a 0123456789012345678901234567890
        get /q/a
        delquota -N /q
        create /q/e
        listquota /q
        ls /zookeeper/quota
        ls -R /zookeeper/quota
        get /zookeeper/quota/q/zookeeper_stats
        setquota -n 2 /q/a
        setquota -n 2 /zookeeper
        delquota /missing
        listquota /missing
        """,
        "absolute path is /zookeeper/quota/q/zookeeper_limits",
        "Output quota for /q count=3,bytes=-1=;byteHardLimit=-1;countHardLimit=-1",
        "Output stat for /q count=4,bytes=5",
        "Created /q/d",
        "Quota has exceeded : /q/e",
        "/q/a has a parent /q which has a quota",
        "count=6,bytes=31") with
    {
        ExtraConfig = new Dictionary<string, string> { ["enforceQuota"] = "true" },
    };

    public static IReadOnlyList<ZkCliScript> All { get; } =
        [NodesAndVersions, CreateModes, Listing, Watches, AclsAndAuth, Session, Errors, Quotas];
}
