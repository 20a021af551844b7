// Golden-byte generator and verifier for ZkCompat's jute encoding.
//
// It reads the jute IDL (jute/zookeeper.jute), builds deterministic sample instances of Java's own
// generated record classes (from zookeeper-jute.jar) and serializes them with
// org.apache.jute.BinaryOutputArchive. The sample algorithm is mirrored exactly by
// tests/ZkCompat.TestSupport/JuteSamples.cs; change both together.
//
// Usage:
//   java -cp <classes>:zookeeper-jute.jar JuteGolden generate <idlPath> <outFile>
//   java -cp <classes>:zookeeper-jute.jar JuteGolden verify <idlPath> <inFile>
//
// This file is kept pure ASCII (non-ASCII text is written with escapes) and has no package.

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;

import org.apache.jute.BinaryInputArchive;
import org.apache.jute.BinaryOutputArchive;
import org.apache.jute.Record;

public final class JuteGolden {

    static final int VARIANTS = 4;

    /** The writeString cases, in order; index i is written as "string i hex". */
    static final String[] GOLDEN_STRINGS = {
        "",
        "a",
        "/zookeeper/quota",
        "\u00e9",
        "\u20ac",
        "\ud83d\ude00",
        "a\ud83d\ude00b",
        "\ud800",
        "\u65e5\u672c\u8a9e",
    };

    private JuteGolden() {
    }

    // ------------------------------------------------------------------ IDL model

    enum Kind { BYTE, BOOLEAN, INT, LONG, FLOAT, DOUBLE, USTRING, BUFFER, VECTOR, RECORD }

    static final class TypeRef {
        final Kind kind;
        final TypeRef element;
        final String recordName;

        TypeRef(Kind kind, TypeRef element, String recordName) {
            this.kind = kind;
            this.element = element;
            this.recordName = recordName;
        }

        @Override
        public String toString() {
            switch (kind) {
                case VECTOR:
                    return "vector<" + element + ">";
                case RECORD:
                    return recordName;
                default:
                    return kind.name().toLowerCase();
            }
        }
    }

    static final class FieldDef {
        final String name;
        final TypeRef type;

        FieldDef(String name, TypeRef type) {
            this.name = name;
            this.type = type;
        }
    }

    static final class RecordDef {
        final String module;
        final String name;
        final List<FieldDef> fields = new ArrayList<>();

        RecordDef(String module, String name) {
            this.module = module;
            this.name = name;
        }

        String fqn() {
            return module + "." + name;
        }
    }

    static final class Idl {
        final List<RecordDef> records = new ArrayList<>();
        final Map<String, RecordDef> byName = new HashMap<>();

        RecordDef get(String fqn) {
            RecordDef r = byName.get(fqn);
            if (r == null) {
                throw new IllegalStateException("unknown record " + fqn);
            }
            return r;
        }
    }

    // ------------------------------------------------------------------ IDL parsing

    static final class Tokenizer {
        private final String text;
        private int pos;
        private int line = 1;

        Tokenizer(String text) {
            this.text = text;
        }

        int line() {
            return line;
        }

        /** The next token, or null at the end of input. */
        String next() {
            skipSpaceAndComments();
            if (pos >= text.length()) {
                return null;
            }
            char c = text.charAt(pos);
            if (c == '{' || c == '}' || c == ';' || c == '<' || c == '>' || c == ',') {
                pos++;
                return String.valueOf(c);
            }
            if (isWordChar(c)) {
                int start = pos;
                while (pos < text.length() && isWordChar(text.charAt(pos))) {
                    pos++;
                }
                return text.substring(start, pos);
            }
            throw new IllegalArgumentException("IDL line " + line + ": unexpected character '" + c + "'");
        }

        private static boolean isWordChar(char c) {
            return Character.isLetterOrDigit(c) || c == '_' || c == '.';
        }

        private void skipSpaceAndComments() {
            while (pos < text.length()) {
                char c = text.charAt(pos);
                if (c == '\n') {
                    line++;
                    pos++;
                } else if (Character.isWhitespace(c)) {
                    pos++;
                } else if (text.startsWith("//", pos)) {
                    while (pos < text.length() && text.charAt(pos) != '\n') {
                        pos++;
                    }
                } else if (text.startsWith("/*", pos)) {
                    int end = text.indexOf("*/", pos + 2);
                    if (end < 0) {
                        throw new IllegalArgumentException("IDL line " + line + ": unterminated comment");
                    }
                    for (int i = pos; i < end; i++) {
                        if (text.charAt(i) == '\n') {
                            line++;
                        }
                    }
                    pos = end + 2;
                } else {
                    return;
                }
            }
        }
    }

    static final class Parser {
        private final Tokenizer tokens;
        private String lookahead;

        Parser(String text) {
            tokens = new Tokenizer(text);
            lookahead = tokens.next();
        }

        private String peek() {
            return lookahead;
        }

        private String take() {
            String t = lookahead;
            if (t == null) {
                throw new IllegalArgumentException("IDL: unexpected end of input");
            }
            lookahead = tokens.next();
            return t;
        }

        private void expect(String token) {
            String t = take();
            if (!t.equals(token)) {
                throw new IllegalArgumentException(
                    "IDL line " + tokens.line() + ": expected '" + token + "' but found '" + t + "'");
            }
        }

        Idl parse() {
            Idl idl = new Idl();
            while (peek() != null) {
                expect("module");
                String module = take();
                expect("{");
                while (!"}".equals(peek())) {
                    expect("class");
                    RecordDef record = new RecordDef(module, take());
                    expect("{");
                    while (!"}".equals(peek())) {
                        TypeRef type = parseType(module);
                        String name = take();
                        expect(";");
                        record.fields.add(new FieldDef(name, type));
                    }
                    expect("}");
                    if (idl.byName.put(record.fqn(), record) != null) {
                        throw new IllegalArgumentException("IDL: duplicate record " + record.fqn());
                    }
                    idl.records.add(record);
                }
                expect("}");
            }
            for (RecordDef r : idl.records) {
                for (FieldDef f : r.fields) {
                    checkResolved(idl, r, f.type);
                }
            }
            return idl;
        }

        private static void checkResolved(Idl idl, RecordDef owner, TypeRef type) {
            if (type.kind == Kind.VECTOR) {
                checkResolved(idl, owner, type.element);
            } else if (type.kind == Kind.RECORD && !idl.byName.containsKey(type.recordName)) {
                throw new IllegalArgumentException("IDL: " + owner.fqn() + " refers to unknown record " + type.recordName);
            }
        }

        private TypeRef parseType(String module) {
            String word = take();
            switch (word) {
                case "byte":
                    return new TypeRef(Kind.BYTE, null, null);
                case "boolean":
                    return new TypeRef(Kind.BOOLEAN, null, null);
                case "int":
                    return new TypeRef(Kind.INT, null, null);
                case "long":
                    return new TypeRef(Kind.LONG, null, null);
                case "float":
                    return new TypeRef(Kind.FLOAT, null, null);
                case "double":
                    return new TypeRef(Kind.DOUBLE, null, null);
                case "ustring":
                    return new TypeRef(Kind.USTRING, null, null);
                case "buffer":
                    return new TypeRef(Kind.BUFFER, null, null);
                case "vector": {
                    expect("<");
                    TypeRef element = parseType(module);
                    expect(">");
                    return new TypeRef(Kind.VECTOR, element, null);
                }
                default:
                    return new TypeRef(Kind.RECORD, null, word.contains(".") ? word : module + "." + word);
            }
        }
    }

    static Idl loadIdl(String path) throws IOException {
        String text = new String(Files.readAllBytes(Paths.get(path)), StandardCharsets.UTF_8);
        return new Parser(text).parse();
    }

    // ------------------------------------------------------------------ samples

    /** Builds one sample; every value() call first increments the shared counter k. */
    static final class Sampler {
        private final Idl idl;
        private final int variant;
        private long k;

        Sampler(Idl idl, int variant) {
            this.idl = idl;
            this.variant = variant;
        }

        /** The top-level record: its own construction does not touch the counter. */
        Object record(RecordDef def) throws ReflectiveOperationException {
            Object instance = newInstance(def);
            for (FieldDef f : def.fields) {
                Object value = value(f.type);
                setter(instance.getClass(), f).invoke(instance, value);
            }
            return instance;
        }

        Object value(TypeRef type) throws ReflectiveOperationException {
            k = k + 1;
            boolean odd = (k & 1) == 1;
            switch (type.kind) {
                case BYTE:
                    switch (variant) {
                        case 0: return (byte) (k * 31 + 7);
                        case 1: return (byte) 0;
                        case 2: return odd ? (byte) -128 : (byte) 127;
                        default: return (byte) -1;
                    }
                case BOOLEAN:
                    switch (variant) {
                        case 0: return k % 2 == 1;
                        case 1: return false;
                        case 2: return true;
                        default: return false;
                    }
                case INT:
                    switch (variant) {
                        case 0: return (int) (k * 1000003L - 500000L);
                        case 1: return 0;
                        case 2: return odd ? Integer.MIN_VALUE : Integer.MAX_VALUE;
                        default: return -1;
                    }
                case LONG:
                    switch (variant) {
                        case 0: return k * 0x0102030405060708L + k;
                        case 1: return 0L;
                        case 2: return odd ? Long.MIN_VALUE : Long.MAX_VALUE;
                        default: return -1L;
                    }
                case FLOAT:
                    switch (variant) {
                        case 0: return k + 0.5f;
                        case 1: return 0f;
                        case 2: return Float.MAX_VALUE;
                        default: return -1f;
                    }
                case DOUBLE:
                    switch (variant) {
                        case 0: return k + 0.25;
                        case 1: return 0.0;
                        case 2: return Double.MAX_VALUE;
                        default: return -1.0;
                    }
                case USTRING:
                    switch (variant) {
                        case 0: return "/zk" + k + "/\u00e9\u20ac";
                        case 1: return null;
                        case 2: return "/" + k + "\u007f\u0080\u07ff\u0800\uffef";
                        default: return "";
                    }
                case BUFFER:
                    switch (variant) {
                        case 0: {
                            byte[] b = new byte[(int) (k % 7) + 1];
                            for (int i = 0; i < b.length; i++) {
                                b[i] = (byte) (k * 13 + i * 17);
                            }
                            return b;
                        }
                        case 1: return null;
                        case 2: return new byte[] {0x00, 0x7f, (byte) 0x80, (byte) 0xff};
                        default: return new byte[0];
                    }
                case VECTOR: {
                    int count;
                    switch (variant) {
                        case 0: count = 2; break;
                        case 1: return null;
                        case 2: count = 1; break;
                        default: count = 0; break;
                    }
                    List<Object> list = new ArrayList<>();
                    for (int i = 0; i < count; i++) {
                        list.add(value(type.element));
                    }
                    return list;
                }
                case RECORD:
                    // The counter has already moved once for the nested record itself.
                    return record(idl.get(type.recordName));
                default:
                    throw new IllegalStateException("unknown kind " + type.kind);
            }
        }
    }

    static Object sample(Idl idl, RecordDef def, int variant) throws ReflectiveOperationException {
        return new Sampler(idl, variant).record(def);
    }

    // ------------------------------------------------------------------ reflection helpers

    static Class<?> javaClass(RecordDef def) throws ClassNotFoundException {
        return Class.forName(def.fqn());
    }

    static Object newInstance(RecordDef def) throws ReflectiveOperationException {
        return javaClass(def).getConstructor().newInstance();
    }

    static String capitalize(String name) {
        return Character.toUpperCase(name.charAt(0)) + name.substring(1);
    }

    static Method setter(Class<?> cls, FieldDef f) throws NoSuchMethodException {
        String name = "set" + capitalize(f.name);
        for (Method m : cls.getMethods()) {
            if (m.getName().equals(name) && m.getParameterCount() == 1 && !Modifier.isStatic(m.getModifiers())) {
                return m;
            }
        }
        throw new NoSuchMethodException(cls.getName() + "." + name + "(...) for IDL field " + f.name);
    }

    static Method getter(Class<?> cls, FieldDef f) throws NoSuchMethodException {
        return cls.getMethod("get" + capitalize(f.name));
    }

    /** Jute's own type signature of a record, as the generated static signature() returns it. */
    static String signature(Idl idl, TypeRef type) {
        switch (type.kind) {
            case BYTE: return "b";
            case BOOLEAN: return "z";
            case INT: return "i";
            case LONG: return "l";
            case FLOAT: return "f";
            case DOUBLE: return "d";
            case USTRING: return "s";
            case BUFFER: return "B";
            case VECTOR: return "[" + signature(idl, type.element) + "]";
            case RECORD: return signature(idl, idl.get(type.recordName));
            default: throw new IllegalStateException();
        }
    }

    static String signature(Idl idl, RecordDef def) {
        StringBuilder sb = new StringBuilder("L").append(def.name).append('(');
        for (FieldDef f : def.fields) {
            sb.append(signature(idl, f.type));
        }
        return sb.append(')').toString();
    }

    /**
     * Checks the IDL against Java's class: the jute signature (field types in order) must match and
     * the class must have exactly the IDL's fields as setters. Returns the problems found.
     */
    static List<String> checkAgainstJava(Idl idl, RecordDef def) {
        List<String> problems = new ArrayList<>();
        Class<?> cls;
        try {
            cls = javaClass(def);
        } catch (ClassNotFoundException e) {
            problems.add(def.fqn() + ": no such Java class");
            return problems;
        }
        try {
            String javaSig = (String) cls.getMethod("signature").invoke(null);
            String idlSig = signature(idl, def);
            if (!javaSig.equals(idlSig)) {
                problems.add(def.fqn() + ": IDL signature " + idlSig + " but Java's is " + javaSig);
            }
        } catch (ReflectiveOperationException e) {
            problems.add(def.fqn() + ": cannot read Java signature(): " + e);
        }
        Set<String> javaFields = new TreeSet<>();
        for (Method m : cls.getMethods()) {
            if (m.getName().startsWith("set") && m.getName().length() > 3 && m.getParameterCount() == 1
                    && !Modifier.isStatic(m.getModifiers()) && m.getDeclaringClass() == cls) {
                javaFields.add(m.getName().substring(3));
            }
        }
        Set<String> idlFields = new TreeSet<>();
        for (FieldDef f : def.fields) {
            idlFields.add(capitalize(f.name));
        }
        if (!javaFields.equals(idlFields)) {
            problems.add(def.fqn() + ": IDL fields " + idlFields + " but Java setters " + javaFields);
        }
        return problems;
    }

    // ------------------------------------------------------------------ encoding

    static byte[] serialize(Object record) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        BinaryOutputArchive archive = BinaryOutputArchive.getArchive(bytes);
        ((Record) record).serialize(archive, "");
        return bytes.toByteArray();
    }

    static byte[] writeString(String s) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        BinaryOutputArchive archive = BinaryOutputArchive.getArchive(bytes);
        archive.writeString(s, "s");
        return bytes.toByteArray();
    }

    static final char[] HEX_DIGITS = "0123456789abcdef".toCharArray();

    static String hex(byte[] bytes) {
        char[] out = new char[bytes.length * 2];
        for (int i = 0; i < bytes.length; i++) {
            out[2 * i] = HEX_DIGITS[(bytes[i] >> 4) & 0xf];
            out[2 * i + 1] = HEX_DIGITS[bytes[i] & 0xf];
        }
        return new String(out);
    }

    static byte[] unhex(String hex) {
        if (hex.length() % 2 != 0) {
            throw new IllegalArgumentException("odd-length hex");
        }
        byte[] out = new byte[hex.length() / 2];
        for (int i = 0; i < out.length; i++) {
            int hi = Character.digit(hex.charAt(2 * i), 16);
            int lo = Character.digit(hex.charAt(2 * i + 1), 16);
            if (hi < 0 || lo < 0) {
                throw new IllegalArgumentException("bad hex digit near offset " + (2 * i));
            }
            out[i] = (byte) ((hi << 4) | lo);
        }
        return out;
    }

    // ------------------------------------------------------------------ structural equality

    /** Field-by-field comparison through the getters; unlike the generated equals() it accepts nulls. */
    static boolean deepEquals(Idl idl, TypeRef type, Object a, Object b) throws ReflectiveOperationException {
        if (a == null || b == null) {
            return a == b;
        }
        switch (type.kind) {
            case BUFFER:
                return Arrays.equals((byte[]) a, (byte[]) b);
            case VECTOR: {
                List<?> la = (List<?>) a;
                List<?> lb = (List<?>) b;
                if (la.size() != lb.size()) {
                    return false;
                }
                for (int i = 0; i < la.size(); i++) {
                    if (!deepEquals(idl, type.element, la.get(i), lb.get(i))) {
                        return false;
                    }
                }
                return true;
            }
            case RECORD:
                return recordEquals(idl, idl.get(type.recordName), a, b);
            default:
                return Objects.equals(a, b);
        }
    }

    static boolean recordEquals(Idl idl, RecordDef def, Object a, Object b) throws ReflectiveOperationException {
        if (a.getClass() != b.getClass()) {
            return false;
        }
        for (FieldDef f : def.fields) {
            Method get = getter(a.getClass(), f);
            if (!deepEquals(idl, f.type, get.invoke(a), get.invoke(b))) {
                return false;
            }
        }
        return true;
    }

    // ------------------------------------------------------------------ modes

    static String zookeeperJuteVersion() {
        try (InputStream in = Record.class.getResourceAsStream(
                "/META-INF/maven/org.apache.zookeeper/zookeeper-jute/pom.properties")) {
            if (in != null) {
                Properties p = new Properties();
                p.load(in);
                String v = p.getProperty("version");
                if (v != null) {
                    return v;
                }
            }
        } catch (IOException e) {
            // fall through
        }
        return "3.8 (exact version unknown)";
    }

    static int generate(String idlPath, String outFile) throws Exception {
        Idl idl = loadIdl(idlPath);
        List<String> problems = new ArrayList<>();
        for (RecordDef def : idl.records) {
            problems.addAll(checkAgainstJava(idl, def));
        }
        if (!problems.isEmpty()) {
            for (String p : problems) {
                System.out.println("IDL MISMATCH " + p);
            }
            System.out.println(problems.size() + " IDL/Java mismatches; nothing written");
            return 1;
        }

        StringBuilder out = new StringBuilder();
        out.append("# ZkCompat jute golden bytes. Produced by Java's org.apache.jute.BinaryOutputArchive from zookeeper-jute ")
            .append(zookeeperJuteVersion()).append(";\n");
        out.append("# do not edit by hand. Regenerate from the repository root with:\n");
        out.append("#   javac -d /tmp/jg -cp /usr/share/java/zookeeper-jute.jar interop-tests/ZkCompat.InteropTests/java/JuteGolden.java\n");
        out.append("#   java -cp /tmp/jg:/usr/share/java/zookeeper-jute.jar JuteGolden generate jute/zookeeper.jute tests/ZkCompat.Tests/Golden/jute-golden.txt\n");
        out.append("# Record lines: <java class> v<variant> <hex>, samples built as in JuteGolden.java / tests/ZkCompat.TestSupport/JuteSamples.cs.\n");
        out.append("# String lines: string <index> <hex of BinaryOutputArchive.writeString>, cases listed in JuteSamples.GoldenStrings.\n");
        out.append("# ").append(idl.records.size()).append(" records x ").append(VARIANTS).append(" variants, ")
            .append(GOLDEN_STRINGS.length).append(" strings.\n");
        for (RecordDef def : idl.records) {
            for (int v = 0; v < VARIANTS; v++) {
                byte[] bytes = serialize(sample(idl, def, v));
                out.append(def.fqn()).append(" v").append(v).append(' ').append(hex(bytes)).append('\n');
            }
        }
        for (int i = 0; i < GOLDEN_STRINGS.length; i++) {
            out.append("string ").append(i).append(' ').append(hex(writeString(GOLDEN_STRINGS[i]))).append('\n');
        }
        Path path = Paths.get(outFile);
        if (path.getParent() != null) {
            Files.createDirectories(path.getParent());
        }
        Files.write(path, out.toString().getBytes(StandardCharsets.UTF_8));
        System.out.println("wrote " + (idl.records.size() * VARIANTS) + " record lines and "
            + GOLDEN_STRINGS.length + " string lines to " + outFile);
        return 0;
    }

    static int verify(String idlPath, String inFile) throws Exception {
        Idl idl = loadIdl(idlPath);
        List<String> lines = Files.readAllLines(Paths.get(inFile), StandardCharsets.UTF_8);
        int mismatches = 0;
        int verified = 0;
        Set<String> seen = new HashSet<>();
        Map<String, Integer> firstLine = new LinkedHashMap<>();
        for (int n = 0; n < lines.size(); n++) {
            String line = lines.get(n).trim();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            String where = "line " + (n + 1) + ": ";
            String[] parts = line.split(" ", -1);
            if (parts.length != 3) {
                System.out.println("MISMATCH " + where + "expected 3 space-separated fields: " + line);
                mismatches++;
                continue;
            }
            String key = parts[0] + " " + parts[1];
            if (firstLine.containsKey(key)) {
                System.out.println("MISMATCH " + where + "duplicate entry " + key + " (first on line " + firstLine.get(key) + ")");
                mismatches++;
                continue;
            }
            firstLine.put(key, n + 1);
            byte[] actual;
            try {
                actual = unhex(parts[2]);
            } catch (IllegalArgumentException e) {
                System.out.println("MISMATCH " + where + e.getMessage());
                mismatches++;
                continue;
            }
            String problem;
            try {
                problem = parts[0].equals("string")
                    ? verifyString(parts[1], actual)
                    : verifyRecord(idl, parts[0], parts[1], actual);
            } catch (Exception e) {
                problem = "exception " + describe(e);
            }
            if (problem != null) {
                System.out.println("MISMATCH " + where + key + ": " + problem.replace('\n', ' ').trim());
                mismatches++;
            } else {
                seen.add(key);
            }
            verified++;
        }
        // Completeness: every (record, variant) and every string case must have been present.
        for (RecordDef def : idl.records) {
            for (int v = 0; v < VARIANTS; v++) {
                String key = def.fqn() + " v" + v;
                if (!firstLine.containsKey(key)) {
                    System.out.println("MISMATCH missing entry " + key);
                    mismatches++;
                }
            }
        }
        for (int i = 0; i < GOLDEN_STRINGS.length; i++) {
            String key = "string " + i;
            if (!firstLine.containsKey(key)) {
                System.out.println("MISMATCH missing entry " + key);
                mismatches++;
            }
        }
        System.out.println("verified " + verified + " lines, " + seen.size() + " ok, " + mismatches + " mismatches");
        return mismatches == 0 ? 0 : 1;
    }

    static String describe(Throwable e) {
        if (e instanceof InvocationTargetException && e.getCause() != null) {
            e = e.getCause();
        }
        return e.getClass().getName() + ": " + e.getMessage();
    }

    static String verifyString(String indexText, byte[] actual) throws IOException {
        int index;
        try {
            index = Integer.parseInt(indexText);
        } catch (NumberFormatException e) {
            return "bad string index " + indexText;
        }
        if (index < 0 || index >= GOLDEN_STRINGS.length) {
            return "no string case " + index;
        }
        byte[] expected = writeString(GOLDEN_STRINGS[index]);
        if (!Arrays.equals(expected, actual)) {
            return "java writeString gives " + hex(expected) + " but file has " + hex(actual);
        }
        return null;
    }

    static String verifyRecord(Idl idl, String fqn, String variantText, byte[] actual) throws Exception {
        RecordDef def = idl.byName.get(fqn);
        if (def == null) {
            return "record not in the IDL";
        }
        if (!variantText.matches("v[0-9]+")) {
            return "bad variant " + variantText;
        }
        int variant = Integer.parseInt(variantText.substring(1));
        if (variant >= VARIANTS) {
            return "no variant " + variant;
        }
        Object expected = sample(idl, def, variant);
        byte[] expectedBytes = serialize(expected);

        Object decoded = newInstance(def);
        ByteArrayInputStream in = new ByteArrayInputStream(actual);
        try {
            ((Record) decoded).deserialize(BinaryInputArchive.getArchive(in), "");
        } catch (IOException e) {
            return "Java cannot decode the bytes (" + describe(e) + "); java sample is " + hex(expectedBytes);
        }
        List<String> problems = new ArrayList<>();
        if (in.available() != 0) {
            problems.add(in.available() + " trailing bytes not consumed");
        }
        if (!recordEquals(idl, def, expected, decoded)) {
            problems.add("decoded " + decoded + " differs from java sample " + expected);
        }
        try {
            if (!expected.equals(decoded)) {
                problems.add("generated equals() says the decoded record differs from the java sample");
            }
        } catch (NullPointerException e) {
            // Java's generated equals() dereferences ustring/vector fields without a null check;
            // the field-by-field comparison above covers those samples.
        }
        byte[] reserialized = serialize(decoded);
        if (!Arrays.equals(reserialized, actual)) {
            problems.add("re-serialized by Java as " + hex(reserialized));
        }
        if (!Arrays.equals(expectedBytes, actual)) {
            problems.add("java sample serializes as " + hex(expectedBytes) + " but file has " + hex(actual));
        }
        return problems.isEmpty() ? null : String.join("; ", problems);
    }

    public static void main(String[] args) throws Exception {
        if (args.length != 3 || !(args[0].equals("generate") || args[0].equals("verify"))) {
            System.err.println("usage: JuteGolden generate <idlPath> <outFile>");
            System.err.println("       JuteGolden verify <idlPath> <inFile>");
            System.exit(2);
        }
        int rc = args[0].equals("generate") ? generate(args[1], args[2]) : verify(args[1], args[2]);
        System.out.flush();
        System.exit(rc);
    }
}
