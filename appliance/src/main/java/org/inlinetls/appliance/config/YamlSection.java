package org.inlinetls.appliance.config;

import org.snakeyaml.engine.v2.nodes.MappingNode;
import org.snakeyaml.engine.v2.nodes.Node;
import org.snakeyaml.engine.v2.nodes.NodeTuple;
import org.snakeyaml.engine.v2.nodes.ScalarNode;
import org.snakeyaml.engine.v2.nodes.SequenceNode;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * A typed view of one YAML mapping that reports every problem as {@code file:line: field 'a.b': reason}.
 */
final class YamlSection
{
    private final String file;
    private final String path;
    private final Node node;
    private final Map<String, NodeTuple> entries = new LinkedHashMap<>();

    YamlSection(final String file, final String path, final Node node) throws ConfigException
    {
        this.file = file;
        this.path = path;
        this.node = node;
        if (!(node instanceof MappingNode))
        {
            throw error(node, path.isEmpty() ? "the document" : field(""), "must be a mapping of keys to values");
        }
        for (final NodeTuple tuple : ((MappingNode)node).getValue())
        {
            final String key = scalarText(tuple.getKeyNode(), field("(key)"));
            if (entries.put(key, tuple) != null)
            {
                throw error(tuple.getKeyNode(), field(key), "appears twice");
            }
        }
    }

    /** Fails on any key not in {@code allowed}, catching typos that would silently be ignored. */
    void requireKnownKeys(final Set<String> allowed) throws ConfigException
    {
        for (final Map.Entry<String, NodeTuple> entry : entries.entrySet())
        {
            if (!allowed.contains(entry.getKey()))
            {
                throw error(entry.getValue().getKeyNode(), field(entry.getKey()),
                    "unknown key; expected one of " + new TreeSet<>(allowed));
            }
        }
    }

    boolean has(final String key)
    {
        return entries.containsKey(key);
    }

    YamlSection section(final String key) throws ConfigException
    {
        final NodeTuple tuple = entries.get(key);
        if (tuple == null)
        {
            throw error(node, field(key), "is required");
        }
        return new YamlSection(file, field(key), tuple.getValueNode());
    }

    /** A list of mappings, each a section named {@code key[i]}; empty when the key is absent. */
    List<YamlSection> sections(final String key) throws ConfigException
    {
        final List<YamlSection> result = new ArrayList<>();
        for (final Node item : sequence(key))
        {
            result.add(new YamlSection(file, field(key) + "[" + result.size() + "]", item));
        }
        return result;
    }

    /** A list of non-empty single values, or {@code defaultValue} when the key is absent. */
    List<String> strings(final String key, final List<String> defaultValue) throws ConfigException
    {
        if (!has(key))
        {
            return defaultValue;
        }
        final List<String> result = new ArrayList<>();
        for (final Node item : sequence(key))
        {
            final String itemField = field(key) + "[" + result.size() + "]";
            final String text = scalarText(item, itemField);
            if (text.isEmpty())
            {
                throw error(item, itemField, "must not be empty");
            }
            result.add(text);
        }
        return result;
    }

    /** An error for item {@code index} of the list under {@code key}, located at its line. */
    ConfigException errorAtItem(final String key, final int index, final String reason)
    {
        final NodeTuple tuple = entries.get(key);
        if (tuple != null && tuple.getValueNode() instanceof SequenceNode)
        {
            final List<Node> items = ((SequenceNode)tuple.getValueNode()).getValue();
            if (index >= 0 && index < items.size())
            {
                return error(items.get(index), field(key) + "[" + index + "]", reason);
            }
        }
        return errorAt(key, reason);
    }

    /** The 1-based line of the value under {@code key}, or of this section when the key is absent. */
    int lineOf(final String key)
    {
        final NodeTuple tuple = entries.get(key);
        return (tuple == null ? node : tuple.getValueNode()).getStartMark().map(mark -> mark.getLine() + 1).orElse(0);
    }

    /** The file the section came from, as given to the loader. */
    String file()
    {
        return file;
    }

    private List<Node> sequence(final String key) throws ConfigException
    {
        final NodeTuple tuple = entries.get(key);
        if (tuple == null)
        {
            return List.of();
        }
        if (!(tuple.getValueNode() instanceof SequenceNode))
        {
            throw error(tuple.getValueNode(), field(key), "must be a list, e.g. [a, b]");
        }
        return ((SequenceNode)tuple.getValueNode()).getValue();
    }

    String string(final String key, final String defaultValue) throws ConfigException
    {
        final NodeTuple tuple = entries.get(key);
        if (tuple == null)
        {
            if (defaultValue == null)
            {
                throw error(node, field(key), "is required");
            }
            return defaultValue;
        }
        final String value = scalarText(tuple.getValueNode(), field(key));
        if (value.isEmpty())
        {
            throw error(tuple.getValueNode(), field(key), "must not be empty");
        }
        return value;
    }

    long integer(final String key, final long defaultValue, final long min, final long max) throws ConfigException
    {
        final NodeTuple tuple = entries.get(key);
        if (tuple == null)
        {
            return defaultValue;
        }
        final String text = scalarText(tuple.getValueNode(), field(key));
        final long value;
        try
        {
            value = Long.parseLong(text.replace("_", ""));
        }
        catch (final NumberFormatException ex)
        {
            throw error(tuple.getValueNode(), field(key), "must be a whole number, was '" + text + "'");
        }
        if (value < min || value > max)
        {
            throw error(tuple.getValueNode(), field(key), "must be within " + min + ".." + max + ", was " + value);
        }
        return value;
    }

    double decimal(final String key, final double defaultValue, final double min, final double max)
        throws ConfigException
    {
        final NodeTuple tuple = entries.get(key);
        if (tuple == null)
        {
            return defaultValue;
        }
        final String text = scalarText(tuple.getValueNode(), field(key));
        final double value;
        try
        {
            value = Double.parseDouble(text);
        }
        catch (final NumberFormatException ex)
        {
            throw error(tuple.getValueNode(), field(key), "must be a number, was '" + text + "'");
        }
        if (!(value >= min && value <= max))
        {
            throw error(tuple.getValueNode(), field(key), "must be within " + min + ".." + max + ", was " + value);
        }
        return value;
    }

    boolean bool(final String key, final boolean defaultValue) throws ConfigException
    {
        final NodeTuple tuple = entries.get(key);
        if (tuple == null)
        {
            return defaultValue;
        }
        final String text = scalarText(tuple.getValueNode(), field(key));
        switch (text.toLowerCase(Locale.ROOT))
        {
            case "true":
            case "yes":
            case "on":
                return true;
            case "false":
            case "no":
            case "off":
                return false;
            default:
                throw error(tuple.getValueNode(), field(key), "must be true or false, was '" + text + "'");
        }
    }

    /** A value from a fixed set of lower-case words, matched to enum constants by name ({@code busy-spin}). */
    <E extends Enum<E>> E choice(final String key, final Class<E> type, final E defaultValue) throws ConfigException
    {
        final NodeTuple tuple = entries.get(key);
        if (tuple == null)
        {
            return defaultValue;
        }
        final String text = scalarText(tuple.getValueNode(), field(key));
        return parseChoice(tuple.getValueNode(), field(key), text, type);
    }

    /** A list of words, each from a fixed set. */
    <E extends Enum<E>> List<E> choices(final String key, final Class<E> type, final List<E> defaultValue)
        throws ConfigException
    {
        final NodeTuple tuple = entries.get(key);
        if (tuple == null)
        {
            return defaultValue;
        }
        if (!(tuple.getValueNode() instanceof SequenceNode))
        {
            throw error(tuple.getValueNode(), field(key), "must be a list, e.g. [a, b]");
        }
        final List<E> result = new ArrayList<>();
        for (final Node item : ((SequenceNode)tuple.getValueNode()).getValue())
        {
            result.add(parseChoice(item, field(key), scalarText(item, field(key)), type));
        }
        return result;
    }

    private <E extends Enum<E>> E parseChoice(final Node at, final String field, final String text, final Class<E> type)
        throws ConfigException
    {
        final List<String> names = new ArrayList<>();
        for (final E constant : type.getEnumConstants())
        {
            final String name = wordOf(constant);
            names.add(name);
            if (name.equals(text.toLowerCase(Locale.ROOT)))
            {
                return constant;
            }
        }
        throw error(at, field, "must be one of " + names + ", was '" + text + "'");
    }

    /** The word an enum constant is written as in the file: lower case with dashes. */
    static String wordOf(final Enum<?> constant)
    {
        return constant.name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    private String scalarText(final Node value, final String field) throws ConfigException
    {
        if (!(value instanceof ScalarNode))
        {
            throw error(value, field, "must be a single value");
        }
        return ((ScalarNode)value).getValue().trim();
    }

    String field(final String key)
    {
        return path.isEmpty() ? key : key.isEmpty() ? path : path + "." + key;
    }

    /** An error for the value under {@code key}, located at its line. */
    ConfigException errorAt(final String key, final String reason)
    {
        final NodeTuple tuple = entries.get(key);
        return error(tuple == null ? node : tuple.getValueNode(), field(key), reason);
    }

    ConfigException error(final Node at, final String field, final String reason)
    {
        final int line = at.getStartMark().map(mark -> mark.getLine() + 1).orElse(0);
        return new ConfigException(file + ":" + line + ": field '" + field + "': " + reason);
    }
}
