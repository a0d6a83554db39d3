/* espy-yaml.c
 *
 * Copyright 2026 The Espy authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "espy-yaml.h"

#include <string.h>
#include <glib/gi18n-lib.h>
#include <yaml.h>

/* Why these limits: the folder is the user's, but files in it come from
 * anywhere (copied snippets, shared packages). A 1 MiB config is already
 * absurd; 100000 nodes after alias expansion is far beyond any real device
 * and stops "billion laughs" after a few thousand steps; 256 levels keeps
 * every recursive walk of the tree shallow. */

G_DEFINE_QUARK (espy-config-error-quark, espy_config_error)

EspyYamlNode *
espy_yaml_node_new (EspyYamlKind  kind,
                    const char   *file,
                    guint         line,
                    guint         column)
{
  EspyYamlNode *node = g_rc_box_new0 (EspyYamlNode);

  node->kind = kind;
  node->file = file != NULL ? g_ref_string_new_intern (file) : NULL;
  node->line = line;
  node->column = column;
  if (kind == ESPY_YAML_SEQUENCE || kind == ESPY_YAML_MAPPING)
    node->items = g_ptr_array_new_with_free_func ((GDestroyNotify) espy_yaml_node_unref);
  return node;
}

EspyYamlNode *
espy_yaml_node_ref (EspyYamlNode *node)
{
  return g_rc_box_acquire (node);
}

static void
node_clear (EspyYamlNode *node)
{
  g_free (node->tag);
  g_free (node->value);
  g_clear_pointer (&node->items, g_ptr_array_unref);
  g_clear_pointer (&node->file, g_ref_string_release);
  g_free (node->secret_name);
  g_clear_pointer (&node->secret_file, g_ref_string_release);
  g_free (node->substitution);
}

void
espy_yaml_node_unref (EspyYamlNode *node)
{
  g_rc_box_release_full (node, (GDestroyNotify) node_clear);
}

EspyYamlNode *
espy_yaml_node_copy_shallow (const EspyYamlNode *node)
{
  EspyYamlNode *copy = espy_yaml_node_new (node->kind, node->file, node->line, node->column);

  copy->tag = g_strdup (node->tag);
  copy->value = g_strdup (node->value);
  copy->plain = node->plain;
  copy->secret_name = g_strdup (node->secret_name);
  copy->secret_file = node->secret_file != NULL ? g_ref_string_acquire (node->secret_file) : NULL;
  copy->secret_line = node->secret_line;
  copy->secret_column = node->secret_column;
  copy->substitution = g_strdup (node->substitution);
  copy->derived = node->derived;
  return copy;
}

static gboolean
key_equals (const EspyYamlNode *key,
            const char         *text)
{
  return key != NULL && key->kind == ESPY_YAML_SCALAR && g_strcmp0 (key->value, text) == 0;
}

EspyYamlNode *
espy_yaml_mapping_lookup (const EspyYamlNode *mapping,
                          const char         *key)
{
  if (mapping == NULL || mapping->kind != ESPY_YAML_MAPPING)
    return NULL;
  for (guint i = 0; i + 1 < mapping->items->len; i += 2)
    if (key_equals (g_ptr_array_index (mapping->items, i), key))
      return g_ptr_array_index (mapping->items, i + 1);
  return NULL;
}

void
espy_yaml_mapping_set (EspyYamlNode *mapping,
                       EspyYamlNode *key,
                       EspyYamlNode *value)
{
  g_return_if_fail (mapping != NULL && mapping->kind == ESPY_YAML_MAPPING);

  for (guint i = 0; i + 1 < mapping->items->len; i += 2)
    {
      EspyYamlNode *k = g_ptr_array_index (mapping->items, i);

      if (key->kind == ESPY_YAML_SCALAR && key_equals (k, key->value))
        {
          espy_yaml_node_unref (g_ptr_array_index (mapping->items, i + 1));
          g_ptr_array_index (mapping->items, i + 1) = espy_yaml_node_ref (value);
          return;
        }
    }
  g_ptr_array_add (mapping->items, espy_yaml_node_ref (key));
  g_ptr_array_add (mapping->items, espy_yaml_node_ref (value));
}

void
espy_yaml_mapping_remove (EspyYamlNode *mapping,
                          const char   *key)
{
  if (mapping == NULL || mapping->kind != ESPY_YAML_MAPPING)
    return;
  for (guint i = 0; i + 1 < mapping->items->len; i += 2)
    if (key_equals (g_ptr_array_index (mapping->items, i), key))
      {
        g_ptr_array_remove_range (mapping->items, i, 2);
        return;
      }
}

gboolean
espy_yaml_node_is_null (const EspyYamlNode *node)
{
  return node == NULL || node->kind == ESPY_YAML_NULL;
}

guint
espy_yaml_node_count (const EspyYamlNode *node)
{
  guint n = 1;

  if (node == NULL)
    return 0;
  if (node->items != NULL)
    for (guint i = 0; i < node->items->len; i++)
      n += espy_yaml_node_count (g_ptr_array_index (node->items, i));
  return n;
}

/* ---- Loading ---------------------------------------------------------- */

typedef struct {
  EspyYamlNode *node;
  guint         weight;       /* nodes after alias expansion, this one included */
  guint         alias_depth;  /* aliases nested inside */
  char         *anchor;
} Frame;

typedef struct {
  EspyYamlNode *node;
  guint         weight;
  guint         alias_depth;
} Anchor;

typedef struct {
  const char *name;
  GArray     *stack;        /* Frame */
  GHashTable *anchors;      /* char* -> Anchor* */
  guint64     expanded;     /* running total of expanded nodes */
  gboolean    used_alias;
  EspyYamlNode *root;
  guint       root_weight;
} Builder;

static void
frame_clear (gpointer data)
{
  Frame *frame = data;

  g_clear_pointer (&frame->node, espy_yaml_node_unref);
  g_clear_pointer (&frame->anchor, g_free);
}

static void
anchor_free (gpointer data)
{
  Anchor *anchor = data;

  espy_yaml_node_unref (anchor->node);
  g_free (anchor);
}

static gboolean
is_null_scalar (const char *value,
                gboolean    plain)
{
  return plain && (value[0] == '\0' || strcmp (value, "~") == 0 || strcmp (value, "null") == 0
                   || strcmp (value, "Null") == 0 || strcmp (value, "NULL") == 0);
}

static gboolean
count_node (Builder   *b,
            guint      weight,
            guint      line,
            guint      column,
            GError   **error)
{
  b->expanded += weight;
  if (b->expanded <= ESPY_YAML_MAX_NODES)
    return TRUE;
  if (b->used_alias)
    g_set_error (error, ESPY_CONFIG_ERROR, ESPY_CONFIG_ERROR_ALIAS_BOMB,
                 _("%s:%u:%u: the aliases in this file expand to more than %u values; "
                   "it is refused as a possible \"billion laughs\" attack"),
                 b->name, line, column, ESPY_YAML_MAX_NODES);
  else
    g_set_error (error, ESPY_CONFIG_ERROR, ESPY_CONFIG_ERROR_TOO_LARGE,
                 _("%s:%u:%u: the file holds more than %u values, far more than a device "
                   "configuration needs"), b->name, line, column, ESPY_YAML_MAX_NODES);
  return FALSE;
}

/* Hands a finished node to its parent (or makes it the root) and records
 * its anchor. Takes over @node. */
static void
builder_add (Builder      *b,
             EspyYamlNode *node,
             guint         weight,
             guint         alias_depth,
             const char   *anchor_name)
{
  if (anchor_name != NULL)
    {
      Anchor *anchor = g_new0 (Anchor, 1);

      anchor->node = espy_yaml_node_ref (node);
      anchor->weight = weight;
      anchor->alias_depth = alias_depth;
      /* A later anchor of the same name replaces the earlier one (YAML 1.2). */
      g_hash_table_replace (b->anchors, g_strdup (anchor_name), anchor);
    }

  if (b->stack->len == 0)
    {
      if (b->root == NULL)
        {
          b->root = node;
          b->root_weight = weight;
        }
      else
        espy_yaml_node_unref (node);
      return;
    }
  else
    {
      Frame *parent = &g_array_index (b->stack, Frame, b->stack->len - 1);

      g_ptr_array_add (parent->node->items, node);
      parent->weight += weight;
      parent->alias_depth = MAX (parent->alias_depth, alias_depth);
    }
}

static gboolean
is_merge_key (const EspyYamlNode *key)
{
  return key->kind == ESPY_YAML_SCALAR && key->plain && strcmp (key->value, "<<") == 0
         && (key->tag == NULL || strcmp (key->tag, "tag:yaml.org,2002:merge") == 0);
}

static gboolean
has_key (GPtrArray          *items,
         const EspyYamlNode *key)
{
  if (key->kind != ESPY_YAML_SCALAR)
    return FALSE;
  for (guint i = 0; i + 1 < items->len; i += 2)
    if (key_equals (g_ptr_array_index (items, i), key->value))
      return TRUE;
  return FALSE;
}

/* Duplicate keys are an error (as in ESPHome); "<<: *base" and
 * "<<: [*a, *b]" add the pairs the mapping does not set itself. */
static gboolean
finish_mapping (Builder       *b,
                EspyYamlNode  *mapping,
                GError       **error)
{
  g_autoptr(GPtrArray) own = g_ptr_array_new_with_free_func ((GDestroyNotify) espy_yaml_node_unref);
  g_autoptr(GPtrArray) merges = g_ptr_array_new ();
  GPtrArray *items = mapping->items;

  for (guint i = 0; i + 1 < items->len; i += 2)
    {
      EspyYamlNode *key = g_ptr_array_index (items, i);
      EspyYamlNode *value = g_ptr_array_index (items, i + 1);

      if (is_merge_key (key))
        {
          if (value->kind == ESPY_YAML_MAPPING)
            g_ptr_array_add (merges, value);
          else if (value->kind == ESPY_YAML_SEQUENCE)
            {
              for (guint j = 0; j < value->items->len; j++)
                {
                  EspyYamlNode *m = g_ptr_array_index (value->items, j);

                  if (m->kind != ESPY_YAML_MAPPING)
                    {
                      g_set_error (error, ESPY_CONFIG_ERROR, ESPY_CONFIG_ERROR_PARSE,
                                   _("%s:%u:%u: a merge key (<<) can only merge mappings"),
                                   b->name, m->line, m->column);
                      return FALSE;
                    }
                  g_ptr_array_add (merges, m);
                }
            }
          else
            {
              g_set_error (error, ESPY_CONFIG_ERROR, ESPY_CONFIG_ERROR_PARSE,
                           _("%s:%u:%u: a merge key (<<) needs a mapping or a list of mappings"),
                           b->name, value->line, value->column);
              return FALSE;
            }
          continue;
        }
      if (key->kind == ESPY_YAML_SCALAR && has_key (own, key))
        {
          g_set_error (error, ESPY_CONFIG_ERROR, ESPY_CONFIG_ERROR_PARSE,
                       _("%s:%u:%u: duplicate key \"%s\" in the same mapping"),
                       b->name, key->line, key->column, key->value);
          return FALSE;
        }
      g_ptr_array_add (own, espy_yaml_node_ref (key));
      g_ptr_array_add (own, espy_yaml_node_ref (value));
    }

  if (merges->len == 0)
    return TRUE;

  for (guint m = 0; m < merges->len; m++)
    {
      EspyYamlNode *src = g_ptr_array_index (merges, m);

      for (guint i = 0; i + 1 < src->items->len; i += 2)
        {
          EspyYamlNode *key = g_ptr_array_index (src->items, i);

          if (has_key (own, key))
            continue;
          g_ptr_array_add (own, espy_yaml_node_ref (key));
          g_ptr_array_add (own, espy_yaml_node_ref (g_ptr_array_index (src->items, i + 1)));
        }
    }
  g_ptr_array_unref (mapping->items);
  mapping->items = g_steal_pointer (&own);
  return TRUE;
}

static void
set_parser_error (const yaml_parser_t  *parser,
                  const char           *name,
                  const char           *data,
                  GError              **error)
{
  guint line = (guint) parser->problem_mark.line + 1;
  guint column = (guint) parser->problem_mark.column + 1;
  const char *problem = parser->problem != NULL ? parser->problem : _("unknown error");

  if (parser->error == YAML_READER_ERROR)
    {
      /* Reader errors carry an offset, not a mark. */
      line = 1;
      column = 1;
      for (gsize i = 0; i < parser->problem_offset && data[i] != '\0'; i++)
        {
          if (data[i] == '\n')
            {
              line++;
              column = 1;
            }
          else if (((guchar) data[i] & 0xC0) != 0x80)
            column++;
        }
      g_set_error (error, ESPY_CONFIG_ERROR, ESPY_CONFIG_ERROR_PARSE,
                   _("%s:%u:%u: could not read the YAML text: %s"), name, line, column, problem);
      return;
    }

  if (parser->context != NULL)
    g_set_error (error, ESPY_CONFIG_ERROR, ESPY_CONFIG_ERROR_PARSE,
                 _("%s:%u:%u: YAML syntax error: %s (%s at line %u, column %u)"),
                 name, line, column, problem, parser->context,
                 (guint) parser->context_mark.line + 1, (guint) parser->context_mark.column + 1);
  else
    g_set_error (error, ESPY_CONFIG_ERROR, ESPY_CONFIG_ERROR_PARSE,
                 _("%s:%u:%u: YAML syntax error: %s"), name, line, column, problem);
}

static gboolean
check_utf8 (const char  *data,
            gsize        len,
            const char  *name,
            GError     **error)
{
  const char *end = NULL;
  guint line = 1;
  guint column = 1;

  if (g_utf8_validate_len (data, len, &end))
    return TRUE;

  for (const char *p = data; p < end; p++)
    {
      if (*p == '\n')
        {
          line++;
          column = 1;
        }
      else if (((guchar) *p & 0xC0) != 0x80)
        column++;
    }
  if (*end == '\0')
    g_set_error (error, ESPY_CONFIG_ERROR, ESPY_CONFIG_ERROR_NOT_UTF8,
                 _("%s:%u:%u: the file contains a NUL byte; it is not a text file"),
                 name, line, column);
  else
    g_set_error (error, ESPY_CONFIG_ERROR, ESPY_CONFIG_ERROR_NOT_UTF8,
                 _("%s:%u:%u: the file is not UTF-8 text (byte 0x%02X); save it as UTF-8"),
                 name, line, column, (guchar) *end);
  return FALSE;
}

EspyYamlNode *
espy_yaml_load_data (const char  *data,
                     gsize        len,
                     const char  *display_name,
                     GError     **error)
{
  yaml_parser_t parser;
  yaml_event_t event;
  Builder b = { 0 };
  gboolean done = FALSE;
  gboolean ok = TRUE;

  g_return_val_if_fail (data != NULL || len == 0, NULL);
  g_return_val_if_fail (display_name != NULL, NULL);

  if (len > ESPY_YAML_MAX_FILE_SIZE)
    {
      g_set_error (error, ESPY_CONFIG_ERROR, ESPY_CONFIG_ERROR_TOO_LARGE,
                   _("%s: the file is %llu bytes; configuration files over %u bytes are not read"),
                   display_name, (unsigned long long) len, ESPY_YAML_MAX_FILE_SIZE);
      return NULL;
    }
  if (!check_utf8 (data != NULL ? data : "", len, display_name, error))
    return NULL;

  b.name = display_name;
  b.stack = g_array_new (FALSE, TRUE, sizeof (Frame));
  g_array_set_clear_func (b.stack, frame_clear);
  b.anchors = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, anchor_free);

  yaml_parser_initialize (&parser);
  yaml_parser_set_input_string (&parser, (const unsigned char *) (data != NULL ? data : ""), len);
  yaml_parser_set_encoding (&parser, YAML_UTF8_ENCODING);

  while (ok && !done)
    {
      guint line;
      guint column;

      if (!yaml_parser_parse (&parser, &event))
        {
          set_parser_error (&parser, display_name, data != NULL ? data : "", error);
          ok = FALSE;
          break;
        }
      line = (guint) event.start_mark.line + 1;
      column = (guint) event.start_mark.column + 1;

      switch (event.type)
        {
        case YAML_STREAM_END_EVENT:
        case YAML_DOCUMENT_END_EVENT:
          /* Only the first document counts, as in ESPHome. */
          done = TRUE;
          break;

        case YAML_NO_EVENT:
        case YAML_STREAM_START_EVENT:
        case YAML_DOCUMENT_START_EVENT:
          break;

        case YAML_ALIAS_EVENT:
          {
            const char *name = (const char *) event.data.alias.anchor;
            Anchor *anchor = g_hash_table_lookup (b.anchors, name);

            if (anchor == NULL)
              {
                g_set_error (error, ESPY_CONFIG_ERROR, ESPY_CONFIG_ERROR_PARSE,
                             _("%s:%u:%u: the alias *%s refers to no anchor defined before it"),
                             display_name, line, column, name);
                ok = FALSE;
                break;
              }
            b.used_alias = TRUE;
            if (anchor->alias_depth + 1 > ESPY_YAML_MAX_ALIAS_DEPTH)
              {
                g_set_error (error, ESPY_CONFIG_ERROR, ESPY_CONFIG_ERROR_ALIAS_BOMB,
                             _("%s:%u:%u: aliases are nested more than %u deep; refused"),
                             display_name, line, column, ESPY_YAML_MAX_ALIAS_DEPTH);
                ok = FALSE;
                break;
              }
            if (!count_node (&b, anchor->weight, line, column, error))
              {
                ok = FALSE;
                break;
              }
            builder_add (&b, espy_yaml_node_ref (anchor->node), anchor->weight,
                         anchor->alias_depth + 1, NULL);
          }
          break;

        case YAML_SCALAR_EVENT:
          {
            const char *value = (const char *) event.data.scalar.value;
            const char *tag = (const char *) event.data.scalar.tag;
            gboolean plain = event.data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
            EspyYamlNode *node;

            if (tag == NULL && is_null_scalar (value, plain))
              node = espy_yaml_node_new (ESPY_YAML_NULL, display_name, line, column);
            else
              {
                node = espy_yaml_node_new (ESPY_YAML_SCALAR, display_name, line, column);
                node->value = g_strndup (value, event.data.scalar.length);
                node->plain = plain;
                node->tag = g_strdup (tag);
              }
            if (!count_node (&b, 1, line, column, error))
              {
                espy_yaml_node_unref (node);
                ok = FALSE;
                break;
              }
            builder_add (&b, node, 1, 0, (const char *) event.data.scalar.anchor);
          }
          break;

        case YAML_SEQUENCE_START_EVENT:
        case YAML_MAPPING_START_EVENT:
          {
            gboolean seq = event.type == YAML_SEQUENCE_START_EVENT;
            const char *tag = (const char *) (seq ? event.data.sequence_start.tag : event.data.mapping_start.tag);
            const char *anchor = (const char *) (seq ? event.data.sequence_start.anchor : event.data.mapping_start.anchor);
            Frame frame = { 0 };

            if (b.stack->len >= ESPY_YAML_MAX_NESTING)
              {
                g_set_error (error, ESPY_CONFIG_ERROR, ESPY_CONFIG_ERROR_TOO_LARGE,
                             _("%s:%u:%u: lists and mappings are nested more than %u deep"),
                             display_name, line, column, ESPY_YAML_MAX_NESTING);
                ok = FALSE;
                break;
              }
            if (!count_node (&b, 1, line, column, error))
              {
                ok = FALSE;
                break;
              }
            frame.node = espy_yaml_node_new (seq ? ESPY_YAML_SEQUENCE : ESPY_YAML_MAPPING,
                                             display_name, line, column);
            frame.node->tag = g_strdup (tag);
            frame.weight = 1;
            frame.anchor = g_strdup (anchor);
            g_array_append_val (b.stack, frame);
          }
          break;

        case YAML_SEQUENCE_END_EVENT:
        case YAML_MAPPING_END_EVENT:
          {
            Frame *top = &g_array_index (b.stack, Frame, b.stack->len - 1);
            EspyYamlNode *node = g_steal_pointer (&top->node);
            g_autofree char *anchor = g_steal_pointer (&top->anchor);
            guint weight = top->weight;
            guint alias_depth = top->alias_depth;

            g_array_set_size (b.stack, b.stack->len - 1);
            if (node->kind == ESPY_YAML_MAPPING && !finish_mapping (&b, node, error))
              {
                espy_yaml_node_unref (node);
                ok = FALSE;
                break;
              }
            builder_add (&b, node, weight, alias_depth, anchor);
          }
          break;

        default:
          break;
        }
      yaml_event_delete (&event);
    }

  yaml_parser_delete (&parser);
  g_array_unref (b.stack);
  g_hash_table_unref (b.anchors);

  if (!ok)
    {
      g_clear_pointer (&b.root, espy_yaml_node_unref);
      return NULL;
    }
  if (b.root == NULL)
    return espy_yaml_node_new (ESPY_YAML_NULL, display_name, 1, 1);
  return b.root;
}

EspyYamlNode *
espy_yaml_load_file (GFile         *file,
                     const char    *display_name,
                     GBytes       **contents,
                     GCancellable  *cancellable,
                     GError       **error)
{
  g_autoptr(GFileInfo) info = NULL;
  g_autoptr(GError) local_error = NULL;
  g_autofree char *data = NULL;
  gsize len = 0;

  g_return_val_if_fail (G_IS_FILE (file), NULL);
  g_return_val_if_fail (display_name != NULL, NULL);

  /* Ask first: a FIFO named *.yaml would block a read forever, and a
   * huge file should not be read at all. */
  info = g_file_query_info (file,
                            G_FILE_ATTRIBUTE_STANDARD_TYPE "," G_FILE_ATTRIBUTE_STANDARD_SIZE,
                            G_FILE_QUERY_INFO_NONE, cancellable, &local_error);
  if (info == NULL)
    {
      g_set_error (error, ESPY_CONFIG_ERROR, ESPY_CONFIG_ERROR_IO,
                   _("%s: could not read the file: %s"), display_name, local_error->message);
      return NULL;
    }
  if (g_file_info_get_file_type (info) != G_FILE_TYPE_REGULAR)
    {
      g_set_error (error, ESPY_CONFIG_ERROR, ESPY_CONFIG_ERROR_IO,
                   _("%s: not a regular file"), display_name);
      return NULL;
    }
  if (g_file_info_get_size (info) > ESPY_YAML_MAX_FILE_SIZE)
    {
      g_set_error (error, ESPY_CONFIG_ERROR, ESPY_CONFIG_ERROR_TOO_LARGE,
                   _("%s: the file is %llu bytes; configuration files over %u bytes are not read"),
                   display_name, (unsigned long long) g_file_info_get_size (info), ESPY_YAML_MAX_FILE_SIZE);
      return NULL;
    }
  if (!g_file_load_contents (file, cancellable, &data, &len, NULL, &local_error))
    {
      g_set_error (error, ESPY_CONFIG_ERROR, ESPY_CONFIG_ERROR_IO,
                   _("%s: could not read the file: %s"), display_name, local_error->message);
      return NULL;
    }
  if (contents != NULL)
    *contents = g_bytes_new (data, len);
  return espy_yaml_load_data (data, len, display_name, error);
}
