package io.pyfleet.node.gateway;

import com.typesafe.config.ConfigException;
import io.pyfleet.client.NotAllowedException;
import io.pyfleet.node.config.GatewaySettings;
import io.pyfleet.client.PyTuple;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * What remote callers may reach through the gateway ({@code pyfleet.gateway.allow}). It exists so that the
 * gateway can refuse a call before it is queued, with nothing run, and so that the rules of conf/application.conf
 * live in one place: the gateway calls {@link #check} on every request it reads, so it is cheap (an allow-all
 * list returns at once; otherwise one hash lookup and a scan of the wildcard prefixes).
 *
 * <p>Patterns: {@code "*"} lets everything through (a list holding it anywhere is an allow-all list);
 * {@code "numpy.*"} the module {@code numpy} and every dotted name under it; {@code "math.sqrt"} exactly that
 * name. Empty patterns, empty segments ({@code "a..b"}, {@code ".a"}), whitespace and a {@code *} anywhere but
 * a trailing {@code ".*"} ({@code "*.x"}, {@code "np*"}) are refused when the list is built.
 *
 * <p>Ops ({@link #check}):
 * <ul>
 *   <li>{@code call}, {@code const}, {@code init}, {@code import}, {@code scatter}: the target, a dotted name;</li>
 *   <li>{@code builtin}, {@code operator}: {@code builtins.<name>}, {@code operator.<name>};</li>
 *   <li>{@code lookup} ({@code Fleet.bind}): {@code args[0]} holds groups of names relative to the target
 *       module, one group per bound method, at least one group (the worker imports the module); each group
 *       needs one name {@code <module>.<name>} on the list, and the worker is asked about those only
 *       ({@link #visible}), so a binding neither fails for a name the list leaves out nor learns whether such
 *       a name exists;</li>
 *   <li>{@code method}, {@code attr}: {@code args[0]} is the name, on a handle or a value alike; with a list
 *       other than allow-all it is checked as strictly as a function's name: no segment starting with
 *       {@code _} (the way from any object to its class, its module's globals and so on), no walker and no
 *       frame attribute (below); other names are allowed: what an object offers follows from how it was
 *       reached;</li>
 *   <li>{@code identical}: its one inner worker call ({@code args = [op, target, args, kwargs, opts]}) is
 *       checked as if sent alone; only worker ops may be inside, and {@code lookup} only with an allow-all
 *       list;</li>
 *   <li>{@code versions}, {@code release}, {@code stats}, {@code pool_list}, {@code array_read},
 *       {@code array_release}, {@code array_new}, {@code array_write}: always allowed (they reach no user
 *       code);</li>
 *   <li>{@code resize}, {@code pool_start}, {@code pool_resize}, {@code pool_stop}: allowed only with an
 *       allow-all list: changing the pools is an operator's act (a pool's interpreter runs any code), and a
 *       node that narrows what callers reach is not one that lets them change its pools;</li>
 *   <li>any other op: refused.</li>
 * </ul>
 *
 * <p>Dotted names are matched as names, not resolved. A segment starting with {@code _} never matches (no
 * {@code numpy.__builtins__}, no module {@code __loader__}), but {@code "numpy.*"} still admits what the worker
 * reaches by walking public attributes from {@code numpy} (a submodule's {@code os}, say).
 *
 * <p>Attribute walks are closed under a list other than allow-all, whatever it names. The list matches names,
 * and these reach attributes, namespaces or code from a string the caller writes, around the names it checks:
 * <ul>
 *   <li>walkers ({@link #WALKERS}: {@code str.format}, {@code format_map}, {@code string.Formatter},
 *       {@code string.Template}, {@code operator.attrgetter}, {@code methodcaller}, {@code getattr},
 *       {@code vars}, {@code globals}, {@code eval}, {@code inspect.getattr_static}, {@code pydoc.locate}...)
 *       are refused as the last segment of a dotted name ({@code "operator.*"} does not admit
 *       {@code operator.attrgetter}, nor {@code "builtins.*"} {@code builtins.str.format}) and as a method or
 *       attribute name (a {@code format} method on a string value or on a handle to one); a list that names
 *       one exactly is a configuration error;</li>
 *   <li>the interpreter's public ways to a frame's globals ({@link #FRAME_ATTRS}: {@code gi_frame},
 *       {@code f_globals}, {@code tb_frame}...) are refused as any segment;</li>
 *   <li>a string anywhere in the target, the arguments or the keyword arguments whose {@code str.format}
 *       field reaches an attribute or key starting with {@code _}, or a frame attribute
 *       ({@code "{0.__self__}"}, {@code "{0[__globals__]}"}, {@code "{0.gi_frame}"}), is refused: it is the
 *       walk itself, whichever allowed function would format it.</li>
 * </ul>
 * The check lives here, not in the worker: it runs before the call is queued (nothing runs, no worker is
 * spent on a refusal), in one place with the list's other rules, for forwarded cluster calls too, and the
 * worker stays free of policy for the embedded callers it also serves. What it cannot see is an object: a
 * listed function that itself walks attributes of what it is given, or returns an object whose public
 * methods run code, is the operator's to leave off the list. As the configuration says, the list narrows
 * what a token holder reaches; with {@code ["*"]} it is not a sandbox at all.
 */
public final class AllowList {

    /** The key the refusals name, so the operator knows what to change. */
    public static final String KEY = "pyfleet.gateway.allow";

    private static final Set<String> WORKER_OPS =
            Set.of("call", "const", "init", "method", "attr", "builtin", "operator", "import", "lookup", "versions");
    private static final Set<String> KNOWN_OPS = union(WORKER_OPS, Set.of("release", "stats", "identical",
            "scatter", "resize", "pool_start", "pool_resize", "pool_stop", "pool_list", "cluster_status",
            "array_read", "array_release", "array_new", "array_write"));

    /**
     * Whether a remote caller may have a worker run this op (not release, map, imap: the node's own).
     *
     * @param op the request's op
     * @return true for call, const, init, method, attr, builtin, operator, import, lookup, versions
     */
    public static boolean isWorkerOp(String op) {
        return op != null && WORKER_OPS.contains(op);
    }

    /**
     * Names that reach attributes, namespaces or code from a caller's string, around the list: refused as the
     * last segment of a dotted name and as any segment of a method or attribute name, unless allow-all.
     */
    static final Set<String> WALKERS = Set.of(
            // str.format and its kin walk a field's attributes and keys
            "format", "format_map", "vformat", "get_field", "Formatter", "Template",
            // attributes by name
            "attrgetter", "methodcaller", "getattr", "setattr", "delattr", "getattr_static",
            // namespaces: vars(obj), globals() run by the worker returns the worker's own module globals
            "vars", "globals", "locals", "getmembers", "getmembers_static", "classify_class_attrs",
            // code and names from strings
            "eval", "exec", "compile", "locate", "resolve_name", "import_module");

    /** The interpreter's public attributes on the way from a generator, coroutine or traceback to globals. */
    static final Set<String> FRAME_ATTRS = Set.of("gi_frame", "gi_code", "cr_frame", "cr_code", "ag_frame", "ag_code",
            "f_globals", "f_locals", "f_builtins", "f_back", "f_code", "tb_frame", "tb_next");

    private final List<String> patterns;
    private final boolean allowAll;
    /** Exact names, and the module of every {@code "m.*"} (which also admits {@code m} itself). */
    private final Set<String> exact;
    /** {@code "m."} for every {@code "m.*"}. */
    private final String[] prefixes;

    /**
     * A list of patterns as {@value #KEY} holds them.
     *
     * @param patterns the patterns (see the class comment)
     * @throws ConfigException.BadValue naming {@value #KEY} for a malformed pattern, or for a walker named exactly
     *                                  in a list other than allow-all (it would be refused all the same)
     */
    public AllowList(List<String> patterns) {
        this.patterns = List.copyOf(patterns);
        boolean all = false;
        Set<String> names = new HashSet<>();
        List<String> under = new ArrayList<>();
        for (String p : this.patterns) {
            if ("*".equals(p)) {
                all = true;
                continue;
            }
            if (p.endsWith(".*")) {
                String module = p.substring(0, p.length() - 2);
                validate(p, module);
                names.add(module);
                under.add(module + ".");
            } else {
                validate(p, p);
                names.add(p);
            }
        }
        for (String name : all ? List.<String>of() : this.patterns) {
            String walk = name.endsWith(".*") ? null : walk(name); // a module named format is no walker
            if (walk != null) { // listed, it would be refused all the same: say so at start, not at each call
                throw new ConfigException.BadValue(KEY, "\"" + name + "\" " + walk + ", so it is refused whatever "
                        + "the list names: take it off the list, or allow everything with [\"*\"]");
            }
        }
        this.allowAll = all;
        this.exact = Set.copyOf(names);
        this.prefixes = under.toArray(new String[0]);
    }

    /**
     * The list of a gateway's settings.
     *
     * @param settings the gateway's settings
     * @return its {@value #KEY}
     * @throws ConfigException.BadValue as {@link #AllowList(List)} does
     */
    public static AllowList from(GatewaySettings settings) {
        return new AllowList(settings.allow());
    }

    /**
     * The patterns as configured.
     *
     * @return them, in order
     */
    public List<String> patterns() {
        return patterns;
    }

    /**
     * Whether the list holds {@code "*"}.
     *
     * @return true for an allow-all list
     */
    public boolean allowsEverything() {
        return allowAll;
    }

    /**
     * Whether a dotted name is on the list (the rule of {@code call}, {@code const}, {@code init}, ...).
     *
     * @param dottedName the name
     * @return true when a pattern admits it and, unless allow-all, it has no private segment and walks nowhere
     */
    public boolean allows(String dottedName) {
        if (allowAll) {
            return true;
        }
        // "numpy.*" must not reach numpy.__builtins__ or a module's __loader__: private segments never match
        if (dottedName.startsWith("_") || dottedName.contains("._") || walk(dottedName) != null) {
            return false;
        }
        if (exact.contains(dottedName)) {
            return true;
        }
        for (String prefix : prefixes) {
            if (dottedName.startsWith(prefix)) {
                return true;
            }
        }
        return false;
    }

    /**
     * Refuses a request the list does not let through; returns normally otherwise. For {@code identical} it
     * checks the inner call too, so the gateway needs one call per request.
     *
     * @param op     the request's op
     * @param target the request's target (a dotted name, a builtin's name, a handle, ...)
     * @param args   the request's positional arguments, or null
     * @throws NotAllowedException naming the op and what it reaches, and {@value #KEY}
     */
    public void check(String op, Object target, List<?> args) {
        check(op, target, args, null);
    }

    /**
     * As {@link #check(String, Object, List)}, with the request's keyword arguments: under a list other than
     * allow-all, a string in the target, the arguments or the keyword arguments whose format field walks to a
     * private attribute or a frame is refused too.
     *
     * @param op     the request's op
     * @param target the request's target
     * @param args   the request's positional arguments, or null
     * @param kwargs the request's keyword arguments, or null
     * @throws NotAllowedException naming the op and what it reaches, and {@value #KEY}
     */
    public void check(String op, Object target, List<?> args, Object kwargs) {
        if (allowAll) {
            // the fast path: only an unknown op can be refused
            if (op != null && KNOWN_OPS.contains(op)) {
                return;
            }
            throw unknown(op);
        }
        if (op == null) {
            throw unknown(null);
        }
        switch (op) {
            case "call", "const", "init", "import", "scatter" -> checkName(op, target, "");
            case "builtin" -> checkName(op, target, "builtins.");
            case "operator" -> checkName(op, target, "operator.");
            case "method", "attr" -> checkMember(op, args);
            case "lookup" -> checkLookup(target, args);
            case "versions", "release", "stats", "pool_list", "cluster_status", "array_read", "array_release",
                    "array_new", "array_write" -> {
                // reach no user code
            }
            case "identical" -> checkIdentical(args);
            case "resize" -> throw new NotAllowedException("resize is refused: only a node whose " + KEY
                    + " is [\"*\"] lets remote callers resize its pool");
            case "pool_start", "pool_resize", "pool_stop" -> throw new NotAllowedException(op + " is refused: only "
                    + "a node whose " + KEY + " is [\"*\"] lets remote callers start, resize or stop its pools");
            default -> throw unknown(op);
        }
        if (!"identical".equals(op)) { // identical's inner call was scanned by its own check
            checkStrings(op, target, args, kwargs);
        }
    }

    /**
     * The positional arguments of a request as its worker may see them, once {@link #check} let it through:
     * for {@code lookup} under a list that is not allow-all, each group of names narrowed to those the list
     * allows; {@code args} itself otherwise.
     *
     * @param op     the request's op
     * @param target the request's target
     * @param args   the request's positional arguments, as {@link #check} let them through
     * @return what the worker gets as the positional arguments
     */
    public List<?> visible(String op, Object target, List<?> args) {
        if (allowAll || !"lookup".equals(op)) {
            return args;
        }
        String module = (String) target;
        List<List<String>> narrowed = new ArrayList<>();
        for (List<String> names : lookupGroups(args)) {
            narrowed.add(names.stream().filter(n -> allows(module + "." + n)).toList());
        }
        return List.of(narrowed);
    }

    private void checkLookup(Object target, List<?> args) {
        if (!(target instanceof String module) || module.isEmpty()) {
            throw new NotAllowedException("lookup needs a module name as its target to be checked against " + KEY
                    + "; got " + describe(target));
        }
        List<List<String>> groups = lookupGroups(args);
        if (groups.isEmpty()) {
            // the worker would still import the module (running its top-level code) and say whether it exists
            throw new NotAllowedException("lookup of no names in " + module + " is refused: with " + KEY
                    + " other than [\"*\"] a lookup must name what it may call");
        }
        List<String> refused = new ArrayList<>();
        for (List<String> names : groups) {
            if (names.stream().noneMatch(n -> allows(module + "." + n))) {
                refused.add(names.stream().map(n -> module + "." + n).collect(Collectors.joining(" or ")));
            }
        }
        if (!refused.isEmpty()) {
            throw new NotAllowedException(String.join(", ", refused) + (refused.size() == 1 ? " is" : " are")
                    + " not in " + KEY + " (op lookup: binding " + module + ")");
        }
    }

    /** {@code args[0]} of a lookup: non-empty lists of names. */
    private static List<List<String>> lookupGroups(List<?> args) {
        if (args == null || args.size() != 1 || !(args.get(0) instanceof List<?> groups)) {
            throw new NotAllowedException("lookup needs [groups of names] as args to be checked against " + KEY);
        }
        List<List<String>> out = new ArrayList<>(groups.size());
        for (Object group : groups) {
            if (!(group instanceof List<?> names) || names.isEmpty()
                    || !names.stream().allMatch(n -> n instanceof String s && !s.isEmpty())) {
                throw new NotAllowedException("lookup: each group must be a list of names to be checked against "
                        + KEY);
            }
            out.add(names.stream().map(String.class::cast).toList());
        }
        return out;
    }

    private void checkName(String op, Object target, String namespace) {
        if (!(target instanceof String name) || name.isEmpty()) {
            throw new NotAllowedException(op + " needs a name as its target to be checked against " + KEY
                    + "; got " + describe(target));
        }
        String full = namespace.isEmpty() ? name : namespace + name;
        if (allows(full)) {
            return;
        }
        String walk = walk(full);
        if (walk != null) {
            throw new NotAllowedException(full + " " + walk + ", so with " + KEY + " other than [\"*\"] it is "
                    + "refused whatever the list names (op " + op + "); call a listed function that does the "
                    + "work, or allow everything with [\"*\"]");
        }
        throw new NotAllowedException(full + " is not in " + KEY + " (op " + op + ")");
    }

    private static void checkMember(String op, List<?> args) {
        Object name = args == null || args.isEmpty() ? null : args.get(0);
        if (!(name instanceof String s)) {
            throw new NotAllowedException(op + " needs the " + (op.equals("method") ? "method" : "attribute")
                    + " name as args[0] to be checked against " + KEY + "; got " + describe(name));
        }
        if (s.isEmpty()) {
            throw new NotAllowedException(op + " needs a non-empty name to be checked against " + KEY);
        }
        for (String segment : s.split("\\.", -1)) {
            if (segment.startsWith("_")) {
                throw new NotAllowedException(op + " " + s + ": names starting with _ are refused unless " + KEY
                        + " is [\"*\"]");
            }
            String walk = segmentWalk(segment);
            if (walk != null) {
                throw new NotAllowedException(op + " " + s + ": " + segment + " " + walk + ", so it is refused "
                        + "unless " + KEY + " is [\"*\"]");
            }
        }
    }

    /** Why a dotted name walks around the list (its last segment a walker, a frame attribute anywhere), or null. */
    static String walk(String dottedName) {
        int last = dottedName.lastIndexOf('.');
        if (WALKERS.contains(dottedName.substring(last + 1))) {
            return "reaches attributes, namespaces or code by a name it is given";
        }
        // every frame attribute holds a _: most names need no split
        if (dottedName.indexOf('_') >= 0 && anyFrameSegment(dottedName)) {
            return "leads to a frame's globals";
        }
        return null;
    }

    private static boolean anyFrameSegment(String dottedName) {
        for (String segment : dottedName.split("\\.")) {
            if (FRAME_ATTRS.contains(segment)) {
                return true;
            }
        }
        return false;
    }

    /** Why one segment of a method or attribute name walks around the list, or null. */
    private static String segmentWalk(String segment) {
        if (WALKERS.contains(segment)) {
            return "reaches attributes, namespaces or code by a name it is given";
        }
        return FRAME_ATTRS.contains(segment) ? "leads to a frame's globals" : null;
    }

    /**
     * Refuses a request with a string (anywhere in its values) whose format field walks; see {@link #fieldWalk}.
     * It runs on every request under a narrow list, so numbers cost one class check and a flat list no allocation.
     */
    private static void checkStrings(String op, Object target, List<?> args, Object kwargs) {
        ArrayDeque<Object> nested = scan(op, target, null);
        if (args != null) {
            nested = scanItems(op, args, nested);
        }
        if (kwargs != null) {
            nested = scan(op, kwargs, nested);
        }
        while (nested != null && !nested.isEmpty()) {
            nested = scan(op, nested.pop(), nested);
        }
    }

    /** Scans a string now, a container's items; containers found inside go on {@code nested} (no recursion). */
    private static ArrayDeque<Object> scan(String op, Object value, ArrayDeque<Object> nested) {
        if (value instanceof String s) {
            formatWalk(op, s);
            return nested;
        }
        if (value instanceof Collection<?> c) {
            return scanItems(op, c, nested);
        }
        if (value instanceof Map<?, ?> m) {
            return scanItems(op, m.values(), scanItems(op, m.keySet(), nested));
        }
        return value instanceof PyTuple t ? scanItems(op, t.items(), nested) : nested;
    }

    private static ArrayDeque<Object> scanItems(String op, Collection<?> items, ArrayDeque<Object> nested) {
        for (Object item : items) {
            if (item instanceof String s) {
                formatWalk(op, s);
            } else if (item != null && !(item instanceof Number) && !(item instanceof Boolean)
                    && (item instanceof Collection<?> || item instanceof Map<?, ?> || item instanceof PyTuple)) {
                if (nested == null) {
                    nested = new ArrayDeque<>();
                }
                nested.push(item);
            }
        }
        return nested;
    }

    private static void formatWalk(String op, String s) {
        int first = s.indexOf('{');
        if (first < 0 || s.indexOf('_', first) < 0) {
            return; // what a field may not reach holds a _ (a private name, a frame attribute): most strings end here
        }
        for (int i = first; i >= 0; i = s.indexOf('{', i + 1)) {
            String reached = fieldWalk(s, i + 1);
            if (reached != null) {
                String shown = s.length() > 80 ? s.substring(0, 77) + "..." : s;
                throw new NotAllowedException("a string in the request (op " + op + ") has a format field that "
                        + "reaches " + reached + ": \"" + shown + "\"; with " + KEY + " other than [\"*\"] a "
                        + "format field must not reach a name starting with _ or a frame. Pass the value "
                        + "itself, or allow everything with [\"*\"]");
            }
        }
    }

    /**
     * What the {@code str.format} field name that starts at {@code p} reaches that the list refuses, or null.
     * The field name is read as Python reads it: an argument name, then {@code .attribute} and {@code [key]}
     * parts (a key runs to the next {@code ]}, whatever it holds), up to {@code }}, {@code !} or {@code :}.
     * Every {@code {} is scanned, so a field nested in a format spec, or written {@code {{...}}}, is read too.
     */
    static String fieldWalk(String s, int p) {
        int n = s.length();
        p = partEnd(s, p);
        while (p < n) {
            char c = s.charAt(p);
            if (c == '.') {
                int end = partEnd(s, p + 1);
                String attribute = s.substring(p + 1, end);
                if (attribute.startsWith("_") || FRAME_ATTRS.contains(attribute)) {
                    return "." + attribute;
                }
                p = end;
            } else if (c == '[') {
                int end = s.indexOf(']', p + 1);
                String key = s.substring(p + 1, end < 0 ? n : end);
                if (key.startsWith("_")) {
                    return "[" + key + "]";
                }
                p = end < 0 ? n : end + 1;
            } else {
                return null; // the field name ends
            }
        }
        return null;
    }

    /**
     * Where an argument or attribute name of a format field that starts at {@code p} ends: Python reads one up
     * to {@code .} or {@code [}, and the field name ends at {@code }}, {@code !} or {@code :} ({@code {} starts
     * a field this scan reads on its own).
     */
    private static int partEnd(String s, int p) {
        int n = s.length();
        while (p < n && ".[{}!:".indexOf(s.charAt(p)) < 0) {
            p++;
        }
        return p;
    }

    private void checkIdentical(List<?> args) {
        if (args == null || args.size() < 3 || !(args.get(0) instanceof String inner)) {
            throw new NotAllowedException("identical needs [op, target, args, kwargs, opts] as args to be checked"
                    + " against " + KEY);
        }
        if (!WORKER_OPS.contains(inner)) {
            throw new NotAllowedException("identical runs one worker call; " + inner + " is not a worker op ("
                    + KEY + " is not consulted for it)");
        }
        if ("lookup".equals(inner)) {
            throw new NotAllowedException("identical lookup is refused: only a node whose " + KEY + " is [\"*\"] "
                    + "runs a lookup on every worker (Fleet.bind looks up on one)");
        }
        Object innerArgs = args.get(2);
        if (innerArgs != null && !(innerArgs instanceof List<?>)) {
            throw new NotAllowedException("identical: the inner call's args must be a list to be checked against "
                    + KEY);
        }
        check(inner, args.get(1), (List<?>) innerArgs, args.size() > 3 ? args.get(3) : null);
    }

    private static NotAllowedException unknown(String op) {
        return new NotAllowedException("unknown op " + op + " is refused (" + KEY + " lets through known ops only)");
    }

    private static String describe(Object value) {
        return value == null ? "nil" : value.getClass().getSimpleName();
    }

    private static void validate(String pattern, String name) {
        if (name.isEmpty()) {
            throw new ConfigException.BadValue(KEY, "empty pattern \"" + pattern + "\"");
        }
        for (String segment : name.split("\\.", -1)) {
            if (segment.isEmpty()) {
                throw new ConfigException.BadValue(KEY, "\"" + pattern + "\" has an empty segment (a..b, .a, a.)");
            }
            if (segment.contains("*")) {
                throw new ConfigException.BadValue(KEY, "\"" + pattern
                        + "\": * is allowed alone or as a trailing .* only");
            }
            if (segment.chars().anyMatch(Character::isWhitespace)) {
                throw new ConfigException.BadValue(KEY, "\"" + pattern + "\" holds whitespace");
            }
        }
    }

    private static Set<String> union(Set<String> a, Set<String> b) {
        Set<String> all = new HashSet<>(a);
        all.addAll(b);
        return Set.copyOf(all);
    }

    @Override
    public String toString() {
        return "AllowList" + patterns;
    }
}
