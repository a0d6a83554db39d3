/* espy-yaml-editor.c
 *
 * Copyright 2026 The Espy authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "espy-yaml-editor.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>
#include <yaml.h>

#include "espy-yaml.h"
#include "espy-secret-string.h"

G_DEFINE_QUARK (espy-yaml-edit-error-quark, espy_yaml_edit_error)

#define REDACTED "********"

/* ---- A position-keeping event tree ------------------------------------ */

/* libyaml marks count characters; edits need byte offsets, so every node
 * keeps both. Only what the editor needs: the first document. */
typedef enum {
  ENODE_SCALAR,
  ENODE_SEQUENCE,
  ENODE_MAPPING,
  ENODE_ALIAS,
} ENodeKind;

typedef struct _ENode ENode;
struct _ENode {
  ENodeKind      kind;
  gsize          start;      /* bytes */
  gsize          end;
  guint          line;       /* 1-based, of the start mark */
  guint          column;
  EspyYamlStyle  style;
  gboolean       flow;
  char          *tag;
  char          *value;
  GPtrArray     *items;      /* MAPPING: key, value, ... */
};

static void
enode_free (gpointer data)
{
  ENode *node = data;

  if (node == NULL)
    return;
  g_free (node->tag);
  espy_secret_string_clear (&node->value);
  g_clear_pointer (&node->items, g_ptr_array_unref);
  g_free (node);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (ENode, enode_free)

typedef struct {
  yaml_parser_t  parser;
  const char    *data;
  gsize          len;
  gsize          bom;
  GArray        *offsets;    /* character index -> byte offset */
  const char    *name;
  guint          depth;
} Reader;

static gsize
byte_at (Reader *r,
         gsize   index)
{
  if (index >= r->offsets->len)
    return r->len;
  return g_array_index (r->offsets, gsize, index);
}

static EspyYamlStyle
style_from (yaml_scalar_style_t style)
{
  switch (style)
    {
    case YAML_PLAIN_SCALAR_STYLE: return ESPY_YAML_STYLE_PLAIN;
    case YAML_SINGLE_QUOTED_SCALAR_STYLE: return ESPY_YAML_STYLE_SINGLE;
    case YAML_DOUBLE_QUOTED_SCALAR_STYLE: return ESPY_YAML_STYLE_DOUBLE;
    case YAML_LITERAL_SCALAR_STYLE: return ESPY_YAML_STYLE_LITERAL;
    case YAML_FOLDED_SCALAR_STYLE: return ESPY_YAML_STYLE_FOLDED;
    case YAML_ANY_SCALAR_STYLE:
    default:
      return ESPY_YAML_STYLE_ANY;
    }
}

static gboolean
reader_fail (Reader  *r,
             GError **error)
{
  g_set_error (error, ESPY_YAML_EDIT_ERROR, ESPY_YAML_EDIT_ERROR_PARSE,
               _("%s:%u:%u: %s; the file was not changed"),
               r->name, (guint) r->parser.problem_mark.line + 1, (guint) r->parser.problem_mark.column + 1,
               r->parser.problem != NULL ? r->parser.problem : _("not valid YAML"));
  return FALSE;
}

/* Reads the node that starts with EVENT (consumed by the caller). */
static ENode *
read_node (Reader       *r,
           yaml_event_t *event,
           GError      **error)
{
  g_autoptr(ENode) node = g_new0 (ENode, 1);
  yaml_event_type_t end_type;

  node->start = byte_at (r, event->start_mark.index);
  node->line = (guint) event->start_mark.line + 1;
  node->column = (guint) event->start_mark.column + 1;

  switch (event->type)
    {
    case YAML_SCALAR_EVENT:
      node->kind = ENODE_SCALAR;
      node->end = byte_at (r, event->end_mark.index);
      node->style = style_from (event->data.scalar.style);
      node->value = g_strndup ((const char *) event->data.scalar.value, event->data.scalar.length);
      if (event->data.scalar.tag != NULL)
        node->tag = g_strdup ((const char *) event->data.scalar.tag);
      return g_steal_pointer (&node);

    case YAML_ALIAS_EVENT:
      node->kind = ENODE_ALIAS;
      node->end = byte_at (r, event->end_mark.index);
      return g_steal_pointer (&node);

    case YAML_SEQUENCE_START_EVENT:
      node->kind = ENODE_SEQUENCE;
      node->flow = event->data.sequence_start.style == YAML_FLOW_SEQUENCE_STYLE;
      if (event->data.sequence_start.tag != NULL)
        node->tag = g_strdup ((const char *) event->data.sequence_start.tag);
      end_type = YAML_SEQUENCE_END_EVENT;
      break;

    case YAML_MAPPING_START_EVENT:
      node->kind = ENODE_MAPPING;
      node->flow = event->data.mapping_start.style == YAML_FLOW_MAPPING_STYLE;
      if (event->data.mapping_start.tag != NULL)
        node->tag = g_strdup ((const char *) event->data.mapping_start.tag);
      end_type = YAML_MAPPING_END_EVENT;
      break;

    case YAML_NO_EVENT:
    case YAML_STREAM_START_EVENT:
    case YAML_STREAM_END_EVENT:
    case YAML_DOCUMENT_START_EVENT:
    case YAML_DOCUMENT_END_EVENT:
    case YAML_SEQUENCE_END_EVENT:
    case YAML_MAPPING_END_EVENT:
    default:
      g_set_error (error, ESPY_YAML_EDIT_ERROR, ESPY_YAML_EDIT_ERROR_PARSE,
                   _("%s: unexpected YAML structure; the file was not changed"), r->name);
      return NULL;
    }

  if (++r->depth > ESPY_YAML_MAX_NESTING)
    {
      g_set_error (error, ESPY_YAML_EDIT_ERROR, ESPY_YAML_EDIT_ERROR_PARSE,
                   _("%s: nested too deep; the file was not changed"), r->name);
      return NULL;
    }
  node->items = g_ptr_array_new_with_free_func (enode_free);
  for (;;)
    {
      yaml_event_t child;
      ENode *item;

      if (!yaml_parser_parse (&r->parser, &child))
        {
          reader_fail (r, error);
          return NULL;
        }
      if (child.type == end_type)
        {
          node->end = byte_at (r, child.end_mark.index);
          yaml_event_delete (&child);
          break;
        }
      item = read_node (r, &child, error);
      yaml_event_delete (&child);
      if (item == NULL)
        return NULL;
      g_ptr_array_add (node->items, item);
    }
  r->depth--;
  return g_steal_pointer (&node);
}

/* The first document of DATA; NULL node (no error) for an empty stream. */
static gboolean
parse_tree (const char  *data,
            gsize        len,
            const char  *name,
            ENode      **out,
            GError     **error)
{
  Reader r = { 0 };
  yaml_event_t event;
  gboolean ok = FALSE;
  gsize i;

  *out = NULL;
  r.data = data;
  r.len = len;
  r.name = name;
  if (len >= 3 && memcmp (data, "\xEF\xBB\xBF", 3) == 0)
    r.bom = 3;
  if (!g_utf8_validate_len (data, len, NULL))
    {
      g_set_error (error, ESPY_YAML_EDIT_ERROR, ESPY_YAML_EDIT_ERROR_PARSE,
                   _("%s is not UTF-8 text; the file was not changed"), name);
      return FALSE;
    }
  r.offsets = g_array_sized_new (FALSE, FALSE, sizeof (gsize), len + 1);
  for (i = r.bom; i < len; i = (gsize) (g_utf8_next_char (data + i) - data))
    g_array_append_val (r.offsets, i);
  g_array_append_val (r.offsets, len);

  yaml_parser_initialize (&r.parser);
  yaml_parser_set_input_string (&r.parser, (const unsigned char *) data, len);
  for (;;)
    {
      if (!yaml_parser_parse (&r.parser, &event))
        {
          reader_fail (&r, error);
          break;
        }
      if (event.type == YAML_STREAM_END_EVENT || event.type == YAML_DOCUMENT_END_EVENT)
        {
          yaml_event_delete (&event);
          ok = TRUE;
          break;
        }
      if (event.type == YAML_STREAM_START_EVENT || event.type == YAML_DOCUMENT_START_EVENT)
        {
          yaml_event_delete (&event);
          continue;
        }
      *out = read_node (&r, &event, error);
      yaml_event_delete (&event);
      ok = *out != NULL;
      break;
    }
  yaml_parser_delete (&r.parser);
  g_array_unref (r.offsets);
  return ok;
}

static ENode *
find_at (ENode *node,
         guint  line,
         guint  column)
{
  if (node == NULL)
    return NULL;
  if (node->line == line && node->column == column)
    return node;
  if (node->items != NULL)
    for (guint i = 0; i < node->items->len; i++)
      {
        ENode *found = find_at (g_ptr_array_index (node->items, i), line, column);

        if (found != NULL)
          return found;
      }
  return NULL;
}

/* The mapping holding VALUE as a value, and the index of its key. */
static ENode *
find_parent_pair (ENode  *node,
                  ENode  *value,
                  guint  *key_index)
{
  if (node == NULL || node->items == NULL)
    return NULL;
  if (node->kind == ENODE_MAPPING)
    for (guint i = 0; i + 1 < node->items->len; i += 2)
      if (g_ptr_array_index (node->items, i + 1) == value)
        {
          *key_index = i;
          return node;
        }
  for (guint i = 0; i < node->items->len; i++)
    {
      ENode *found = find_parent_pair (g_ptr_array_index (node->items, i), value, key_index);

      if (found != NULL)
        return found;
    }
  return NULL;
}

static ENode *
mapping_get (ENode      *mapping,
             const char *key)
{
  if (mapping == NULL || mapping->kind != ENODE_MAPPING)
    return NULL;
  for (guint i = 0; i + 1 < mapping->items->len; i += 2)
    {
      ENode *k = g_ptr_array_index (mapping->items, i);

      if (k->kind == ENODE_SCALAR && g_strcmp0 (k->value, key) == 0)
        return g_ptr_array_index (mapping->items, i + 1);
    }
  return NULL;
}

static ENode *
mapping_get_key (ENode      *mapping,
                 const char *key)
{
  if (mapping == NULL || mapping->kind != ENODE_MAPPING)
    return NULL;
  for (guint i = 0; i + 1 < mapping->items->len; i += 2)
    {
      ENode *k = g_ptr_array_index (mapping->items, i);

      if (k->kind == ENODE_SCALAR && g_strcmp0 (k->value, key) == 0)
        return k;
    }
  return NULL;
}

/* ---- Quoting ---------------------------------------------------------- */

static gboolean
plain_ok (const char *value)
{
  const char *words[] = { "y", "n", "yes", "no", "true", "false", "on", "off", "null" };

  /* Only unambiguous words: a letter first (no number, no indicator), then
   * letters, digits and "_-.", and not a YAML 1.1 boolean or null. */
  if (!g_ascii_isalpha (value[0]))
    return FALSE;
  for (const char *p = value; *p != '\0'; p++)
    if (!g_ascii_isalnum (*p) && *p != '_' && *p != '-' && *p != '.')
      return FALSE;
  for (guint i = 0; i < G_N_ELEMENTS (words); i++)
    if (g_ascii_strcasecmp (value, words[i]) == 0)
      return FALSE;
  return TRUE;
}

static gboolean
printable (gunichar c)
{
  return !(c < 0x20 || c == 0x7F || (c >= 0x80 && c <= 0x9F) || c == 0x2028 || c == 0x2029
           || c == 0xFEFF || (c >= 0xD800 && c <= 0xDFFF) || c == 0xFFFE || c == 0xFFFF);
}

static gboolean
single_ok (const char *value)
{
  for (const char *p = value; *p != '\0'; p = g_utf8_next_char (p))
    if (!printable (g_utf8_get_char (p)))
      return FALSE;
  return TRUE;
}

static void
append_double (GString    *out,
               const char *value)
{
  g_string_append_c (out, '"');
  for (const char *p = value; *p != '\0'; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      switch (c)
        {
        case '"': g_string_append (out, "\\\""); break;
        case '\\': g_string_append (out, "\\\\"); break;
        case '\t': g_string_append (out, "\\t"); break;
        case '\n': g_string_append (out, "\\n"); break;
        case '\r': g_string_append (out, "\\r"); break;
        default:
          if (!printable (c))
            g_string_append_printf (out, c <= 0xFF ? "\\x%02X" : "\\u%04X", c);
          else
            g_string_append_len (out, p, g_utf8_next_char (p) - p);
        }
    }
  g_string_append_c (out, '"');
}

char *
espy_yaml_quote_scalar (const char    *value,
                        EspyYamlStyle  style)
{
  GString *out;

  g_return_val_if_fail (value != NULL, NULL);
  if (!g_utf8_validate (value, -1, NULL))
    return NULL;

  out = g_string_new (NULL);
  if (style == ESPY_YAML_STYLE_PLAIN && plain_ok (value))
    g_string_append (out, value);
  else if (style == ESPY_YAML_STYLE_SINGLE && single_ok (value))
    {
      g_string_append_c (out, '\'');
      for (const char *p = value; *p != '\0'; p++)
        {
          if (*p == '\'')
            g_string_append_c (out, '\'');
          g_string_append_c (out, *p);
        }
      g_string_append_c (out, '\'');
    }
  else
    append_double (out, value);
  return g_string_free (out, FALSE);
}

/* ---- The editor ------------------------------------------------------- */

typedef enum {
  EDIT_SET,
  EDIT_REMOVE,
  EDIT_INSERT,
  EDIT_ADD_SECRET,
} EditKind;

typedef struct {
  char     *path;       /* as given */
  char     *real;       /* where the bytes live (symbolic links followed) */
  gboolean  existed;
  guint     mode;
  GBytes   *original;
  GBytes   *edited;
  EditKind  kind;
  /* The edit, in bytes of ORIGINAL: [start, end) becomes text. */
  gsize     start;
  gsize     end;
  char     *text;
  char     *secret_text; /* the part of TEXT that is a password (for redaction) */
  char     *removed_secret; /* the password text that was removed */
  char     *backup;
  gboolean  written;
} FileEdit;

struct _EspyYamlEditor
{
  GObject    parent_instance;
  GPtrArray *files;   /* FileEdit */
  gboolean   committed;
};

G_DEFINE_FINAL_TYPE (EspyYamlEditor, espy_yaml_editor, G_TYPE_OBJECT)

static void
file_edit_free (gpointer data)
{
  FileEdit *fe = data;

  g_free (fe->path);
  g_free (fe->real);
  g_clear_pointer (&fe->original, g_bytes_unref);
  g_clear_pointer (&fe->edited, g_bytes_unref);
  espy_secret_string_clear (&fe->text);
  espy_secret_string_clear (&fe->secret_text);
  espy_secret_string_clear (&fe->removed_secret);
  g_free (fe->backup);
  g_free (fe);
}

static void
espy_yaml_editor_finalize (GObject *object)
{
  EspyYamlEditor *self = (EspyYamlEditor *) object;

  g_ptr_array_unref (self->files);
  G_OBJECT_CLASS (espy_yaml_editor_parent_class)->finalize (object);
}

static void
espy_yaml_editor_class_init (EspyYamlEditorClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = espy_yaml_editor_finalize;
}

static void
espy_yaml_editor_init (EspyYamlEditor *self)
{
  self->files = g_ptr_array_new_with_free_func (file_edit_free);
}

EspyYamlEditor *
espy_yaml_editor_new (void)
{
  return g_object_new (ESPY_TYPE_YAML_EDITOR, NULL);
}

static FileEdit *
lookup (EspyYamlEditor *self,
        const char     *path)
{
  for (guint i = 0; i < self->files->len; i++)
    {
      FileEdit *fe = g_ptr_array_index (self->files, i);

      if (g_strcmp0 (fe->path, path) == 0 || g_strcmp0 (fe->real, path) == 0)
        return fe;
    }
  return NULL;
}

/* Reads PATH for an edit. MAY_BE_MISSING: a missing file reads as empty. */
static FileEdit *
open_file (EspyYamlEditor  *self,
           const char      *path,
           gboolean         may_be_missing,
           GError         **error)
{
  g_autofree char *data = NULL;
  g_autoptr(GError) local_error = NULL;
  FileEdit *fe;
  char real_buf[PATH_MAX];
  struct stat st;
  gsize len = 0;

  if (self->committed)
    {
      g_set_error (error, ESPY_YAML_EDIT_ERROR, ESPY_YAML_EDIT_ERROR_BUSY,
                   _("The changes were already written; start a new edit."));
      return NULL;
    }
  if (lookup (self, path) != NULL)
    {
      g_set_error (error, ESPY_YAML_EDIT_ERROR, ESPY_YAML_EDIT_ERROR_BUSY,
                   _("%s already has a change waiting; one change per file."), path);
      return NULL;
    }

  fe = g_new0 (FileEdit, 1);
  fe->path = g_strdup (path);
  fe->real = realpath (path, real_buf) != NULL ? g_strdup (real_buf) : g_strdup (path);
  fe->mode = 0644;
  if (g_stat (fe->real, &st) == 0)
    {
      fe->existed = TRUE;
      fe->mode = st.st_mode & 07777;
      if (!S_ISREG (st.st_mode))
        {
          g_set_error (error, ESPY_YAML_EDIT_ERROR, ESPY_YAML_EDIT_ERROR_IO,
                       _("%s is not a regular file; nothing was changed."), path);
          file_edit_free (fe);
          return NULL;
        }
      if (!g_file_get_contents (fe->real, &data, &len, &local_error))
        {
          g_set_error (error, ESPY_YAML_EDIT_ERROR, ESPY_YAML_EDIT_ERROR_IO,
                       _("Cannot read %s: %s"), path, local_error->message);
          file_edit_free (fe);
          return NULL;
        }
      if (len > ESPY_YAML_MAX_FILE_SIZE)
        {
          g_set_error (error, ESPY_YAML_EDIT_ERROR, ESPY_YAML_EDIT_ERROR_IO,
                       _("%s is larger than 1 MiB; refused."), path);
          file_edit_free (fe);
          return NULL;
        }
      fe->original = g_bytes_new_take (g_steal_pointer (&data), len);
    }
  else if (may_be_missing && errno == ENOENT)
    fe->original = g_bytes_new (NULL, 0);
  else
    {
      int saved = errno;

      g_set_error (error, ESPY_YAML_EDIT_ERROR, ESPY_YAML_EDIT_ERROR_IO,
                   _("Cannot read %s: %s"), path, g_strerror (saved));
      file_edit_free (fe);
      return NULL;
    }
  return fe;
}

static const char *
detect_eol (const char *data,
            gsize       len)
{
  const char *nl = memchr (data, '\n', len);

  return nl != NULL && nl > data && nl[-1] == '\r' ? "\r\n" : "\n";
}

/* Start of the line holding OFFSET. */
static gsize
line_start (const char *data,
            gsize       offset)
{
  while (offset > 0 && data[offset - 1] != '\n' && data[offset - 1] != '\r')
    offset--;
  return offset;
}

/* Just past the line break ending the line that holds OFFSET (or the end);
 * an OFFSET that already starts a line (block scalars end there) stays. */
static gsize
past_line (const char *data,
           gsize       len,
           gsize       offset)
{
  if (offset > 0 && offset <= len && data[offset - 1] == '\n')
    return offset;
  while (offset < len && data[offset] != '\n' && data[offset] != '\r')
    offset++;
  if (offset < len && data[offset] == '\r')
    offset++;
  if (offset < len && data[offset] == '\n')
    offset++;
  return offset;
}

static gboolean
only_spaces (const char *data,
             gsize       from,
             gsize       to)
{
  for (gsize i = from; i < to; i++)
    if (data[i] != ' ')
      return FALSE;
  return TRUE;
}

static GBytes *
apply (FileEdit *fe)
{
  gsize len = 0;
  const char *data = g_bytes_get_data (fe->original, &len);
  GString *out = g_string_sized_new (len + strlen (fe->text));

  g_string_append_len (out, data != NULL ? data : "", (gssize) fe->start);
  g_string_append (out, fe->text);
  if (fe->end < len)
    g_string_append_len (out, data + fe->end, (gssize) (len - fe->end));
  return g_string_free_to_bytes (out);
}

static gboolean
fail_verify (const char  *path,
             GError     **error)
{
  g_set_error (error, ESPY_YAML_EDIT_ERROR, ESPY_YAML_EDIT_ERROR_VERIFY,
               _("The change to %s did not read back as intended, so it was not made. "
                 "Edit the password by hand, or report this file's layout as a bug."), path);
  return FALSE;
}

/* Every loaded edit is parsed again: the whole file must still load, and
 * CHECK (on the tree of the new text) must hold. */
static gboolean
stage (EspyYamlEditor  *self,
       FileEdit        *fe,
       gboolean       (*check) (ENode *root, FileEdit *fe, gconstpointer data),
       gconstpointer    data,
       GError         **error)
{
  g_autoptr(ENode) root = NULL;
  g_autoptr(EspyYamlNode) loaded = NULL;
  g_autoptr(GError) local_error = NULL;
  gsize len = 0;
  const char *text;

  fe->edited = apply (fe);
  text = g_bytes_get_data (fe->edited, &len);
  loaded = espy_yaml_load_data (text != NULL ? text : "", len, fe->path, &local_error);
  if (local_error != NULL || !parse_tree (text != NULL ? text : "", len, fe->path, &root, NULL)
      || !check (root, fe, data))
    {
      if (local_error != NULL)
        g_debug ("verify %s: %s", fe->path, local_error->message);
      fail_verify (fe->path, error);
      file_edit_free (fe);
      return FALSE;
    }
  g_ptr_array_add (self->files, fe);
  return TRUE;
}

typedef struct {
  const char *tag;
  const char *value;
} SetCheck;

static gboolean
check_set (ENode         *root,
           FileEdit      *fe,
           gconstpointer  data)
{
  const SetCheck *c = data;
  ENode *node = NULL;
  GPtrArray *stack = g_ptr_array_new ();

  /* The node now starting where the old one started. */
  if (root != NULL)
    g_ptr_array_add (stack, root);
  while (stack->len > 0 && node == NULL)
    {
      ENode *n = g_ptr_array_steal_index (stack, stack->len - 1);

      if (n->start == fe->start && n->kind == ENODE_SCALAR)
        node = n;
      else if (n->items != NULL)
        for (guint i = 0; i < n->items->len; i++)
          g_ptr_array_add (stack, g_ptr_array_index (n->items, i));
    }
  g_ptr_array_unref (stack);
  return node != NULL && g_strcmp0 (node->value, c->value) == 0 && g_strcmp0 (node->tag, c->tag) == 0;
}

gboolean
espy_yaml_editor_set_scalar (EspyYamlEditor  *self,
                             const char      *path,
                             guint            line,
                             guint            column,
                             const char      *tag,
                             const char      *value,
                             GError         **error)
{
  g_autoptr(ENode) root = NULL;
  FileEdit *fe;
  ENode *node;
  gsize len = 0;
  const char *data;
  g_autofree char *quoted = NULL;
  SetCheck check = { tag, value };

  g_return_val_if_fail (ESPY_IS_YAML_EDITOR (self), FALSE);
  g_return_val_if_fail (path != NULL && value != NULL, FALSE);

  fe = open_file (self, path, FALSE, error);
  if (fe == NULL)
    return FALSE;
  fe->kind = EDIT_SET;
  data = g_bytes_get_data (fe->original, &len);
  if (!parse_tree (data != NULL ? data : "", len, path, &root, error))
    {
      file_edit_free (fe);
      return FALSE;
    }
  node = find_at (root, line, column);
  if (node == NULL || node->kind != ENODE_SCALAR)
    {
      g_set_error (error, ESPY_YAML_EDIT_ERROR, ESPY_YAML_EDIT_ERROR_NOT_FOUND,
                   _("%s:%u:%u: there is no single value here any more (was the file changed?); "
                     "nothing was changed."), path, line, column);
      file_edit_free (fe);
      return FALSE;
    }
  if (tag == NULL && node->tag != NULL)
    {
      g_set_error (error, ESPY_YAML_EDIT_ERROR, ESPY_YAML_EDIT_ERROR_NOT_EDITABLE,
                   _("%s:%u:%u: the value is computed (%s), not written here; change it by hand."),
                   path, line, column, node->tag);
      file_edit_free (fe);
      return FALSE;
    }
  if (tag != NULL)
    {
      if (!plain_ok (value))
        {
          g_set_error (error, ESPY_YAML_EDIT_ERROR, ESPY_YAML_EDIT_ERROR_NOT_EDITABLE,
                       _("“%s” cannot be used as a name here: use letters, digits and “_”."), value);
          file_edit_free (fe);
          return FALSE;
        }
      quoted = g_strdup_printf ("%s %s", tag, value);
    }
  else
    {
      quoted = espy_yaml_quote_scalar (value, node->style);
      if (quoted == NULL)
        {
          g_set_error (error, ESPY_YAML_EDIT_ERROR, ESPY_YAML_EDIT_ERROR_NOT_EDITABLE,
                       _("The new value is not UTF-8 text; nothing was changed."));
          file_edit_free (fe);
          return FALSE;
        }
      fe->secret_text = g_strdup (quoted);
      fe->removed_secret = g_strndup (data + node->start, node->end - node->start);
    }
  fe->start = node->start;
  fe->end = node->end;
  /* A block scalar ends at the start of the next line: keep that break. */
  if ((node->style == ESPY_YAML_STYLE_LITERAL || node->style == ESPY_YAML_STYLE_FOLDED)
      && fe->end > 0 && data[fe->end - 1] == '\n')
    fe->text = g_strconcat (quoted, detect_eol (data, len), NULL);
  else
    fe->text = g_strdup (quoted);
  return stage (self, fe, check_set, &check, error);
}

static gboolean
check_no_password_key (ENode         *root,
                       FileEdit      *fe,
                       gconstpointer  data)
{
  /* The removed bytes are gone and what follows still parses: the pair
   * whose key started at fe->start must not be a password key any more. */
  GPtrArray *stack = g_ptr_array_new ();
  gboolean ok = TRUE;

  if (root != NULL)
    g_ptr_array_add (stack, root);
  while (stack->len > 0)
    {
      ENode *n = g_ptr_array_steal_index (stack, stack->len - 1);

      if (n->kind == ENODE_SCALAR && n->start >= fe->start && n->start < fe->start + 1
          && g_strcmp0 (n->value, "password") == 0)
        ok = FALSE;
      if (n->items != NULL)
        for (guint i = 0; i < n->items->len; i++)
          g_ptr_array_add (stack, g_ptr_array_index (n->items, i));
    }
  g_ptr_array_unref (stack);
  return ok;
}

gboolean
espy_yaml_editor_remove_pair (EspyYamlEditor  *self,
                              const char      *path,
                              guint            line,
                              guint            column,
                              GError         **error)
{
  g_autoptr(ENode) root = NULL;
  FileEdit *fe;
  ENode *value;
  ENode *mapping;
  ENode *key;
  guint key_index = 0;
  gsize len = 0;
  const char *data;

  g_return_val_if_fail (ESPY_IS_YAML_EDITOR (self), FALSE);
  g_return_val_if_fail (path != NULL, FALSE);

  fe = open_file (self, path, FALSE, error);
  if (fe == NULL)
    return FALSE;
  fe->kind = EDIT_REMOVE;
  data = g_bytes_get_data (fe->original, &len);
  if (!parse_tree (data != NULL ? data : "", len, path, &root, error))
    {
      file_edit_free (fe);
      return FALSE;
    }
  value = find_at (root, line, column);
  mapping = value != NULL ? find_parent_pair (root, value, &key_index) : NULL;
  if (mapping == NULL)
    {
      g_set_error (error, ESPY_YAML_EDIT_ERROR, ESPY_YAML_EDIT_ERROR_NOT_FOUND,
                   _("%s:%u:%u: there is no “key: value” here any more (was the file changed?); "
                     "nothing was changed."), path, line, column);
      file_edit_free (fe);
      return FALSE;
    }
  key = g_ptr_array_index (mapping->items, key_index);
  fe->removed_secret = g_strndup (data + value->start, value->end - value->start);
  fe->text = g_strdup ("");

  if (mapping->flow)
    {
      /* "{a: 1, password: x}": the pair and the comma before it, or the
       * comma after it when it comes first. */
      if (key_index + 2 < mapping->items->len)
        {
          ENode *next = g_ptr_array_index (mapping->items, key_index + 2);

          fe->start = key->start;
          fe->end = next->start;
        }
      else if (key_index > 0)
        {
          ENode *prev = g_ptr_array_index (mapping->items, key_index - 1);

          fe->start = prev->end;
          fe->end = value->end;
        }
      else
        {
          fe->start = key->start;
          fe->end = value->end;
        }
    }
  else if (only_spaces (data, line_start (data, key->start), key->start))
    {
      fe->start = line_start (data, key->start);
      fe->end = past_line (data, len, value->end);
    }
  else if (key_index + 2 < mapping->items->len)
    {
      /* "- password: x" opens a list item: the next key moves up into
       * its place. */
      ENode *next = g_ptr_array_index (mapping->items, key_index + 2);

      fe->start = key->start;
      fe->end = next->start;
    }
  else
    {
      g_set_error (error, ESPY_YAML_EDIT_ERROR, ESPY_YAML_EDIT_ERROR_NOT_EDITABLE,
                   _("%s:%u:%u: the password is the only setting of its entry; remove it by hand."),
                   path, line, column);
      file_edit_free (fe);
      return FALSE;
    }
  return stage (self, fe, check_no_password_key, NULL, error);
}

/* ---- Inserting a password --------------------------------------------- */

/* The native OTA entry of ROOT's ota: (list item with platform esphome, or
 * the legacy mapping / empty value), or NULL. */
static ENode *
esphome_entry (ENode *ota)
{
  if (ota == NULL)
    return NULL;
  if (ota->kind == ENODE_MAPPING && ota->tag == NULL)
    return ota;
  if (ota->kind == ENODE_SCALAR && ota->tag == NULL && (ota->value == NULL || ota->value[0] == '\0'))
    return ota;
  if (ota->kind == ENODE_SEQUENCE)
    for (guint i = 0; i < ota->items->len; i++)
      {
        ENode *item = g_ptr_array_index (ota->items, i);
        ENode *platform = mapping_get (item, "platform");

        if (platform != NULL && platform->kind == ENODE_SCALAR && g_strcmp0 (platform->value, "esphome") == 0)
          return item;
      }
  return NULL;
}

typedef struct {
  const char *value;
} InsertCheck;

static gboolean
check_insert (ENode         *root,
              FileEdit      *fe,
              gconstpointer  data)
{
  const InsertCheck *c = data;
  ENode *ota = mapping_get (root, "ota");
  ENode *entry;
  ENode *password;

  if (root != NULL && root->kind != ENODE_MAPPING)
    ota = root;  /* a file included as the ota: list itself */
  entry = esphome_entry (ota);
  password = mapping_get (entry, "password");
  return password != NULL && password->kind == ENODE_SCALAR && password->tag == NULL
         && g_strcmp0 (password->value, c->value) == 0;
}

static gboolean
plan_insert (FileEdit    *fe,
             ENode       *ota,
             ENode       *ota_key,
             const char  *quoted,
             GError     **error)
{
  gsize len = 0;
  const char *data = g_bytes_get_data (fe->original, &len);
  const char *eol = detect_eol (data, len);
  ENode *entry = esphome_entry (ota);
  g_autofree char *pad = NULL;
  gsize at;
  guint indent;

  if (entry == NULL)
    return FALSE;
  if (mapping_get (entry, "password") != NULL)
    {
      g_set_error (error, ESPY_YAML_EDIT_ERROR, ESPY_YAML_EDIT_ERROR_EXISTS,
                   _("%s: the OTA entry already has a password; change it instead."), fe->path);
      return TRUE;
    }

  if (entry->kind == ENODE_SCALAR)
    {
      /* "ota:" with nothing under it: a new block two spaces in. */
      indent = ota_key != NULL ? ota_key->column - 1 + 2 : 2;
      at = past_line (data, len, ota_key != NULL ? ota_key->end : entry->end);
    }
  else if (entry->flow)
    {
      /* "- {platform: esphome}": a new pair before the closing brace. */
      gsize close = entry->end - 1;
      gsize p = close;

      while (p > entry->start + 1 && (data[p - 1] == ' ' || data[p - 1] == '\t'))
        p--;
      fe->start = fe->end = p;
      fe->text = g_strdup_printf ("%spassword: %s", entry->items->len > 0 ? ", " : "", quoted);
      fe->secret_text = g_strdup (quoted);
      return TRUE;
    }
  else
    {
      ENode *first = g_ptr_array_index (entry->items, 0);
      ENode *platform_key = mapping_get_key (entry, "platform");
      ENode *anchor = platform_key != NULL ? mapping_get (entry, "platform") : NULL;

      indent = first->column - 1;
      if (anchor != NULL)
        at = past_line (data, len, anchor->end);
      else if (only_spaces (data, line_start (data, first->start), first->start))
        at = line_start (data, first->start);
      else
        at = past_line (data, len, ((ENode *) g_ptr_array_index (entry->items, 1))->end);
    }

  pad = g_strnfill (indent, ' ');
  fe->start = fe->end = at;
  if (at == len && len > 0 && data[len - 1] != '\n')
    fe->text = g_strdup_printf ("%s%spassword: %s", eol, pad, quoted);
  else
    fe->text = g_strdup_printf ("%spassword: %s%s", pad, quoted, eol);
  fe->secret_text = g_strdup (quoted);
  return TRUE;
}

gboolean
espy_yaml_editor_insert_ota_password (EspyYamlEditor     *self,
                                      const char * const *paths,
                                      const char         *value,
                                      char              **edited_path,
                                      GError            **error)
{
  g_autofree char *quoted = NULL;
  InsertCheck check = { value };

  g_return_val_if_fail (ESPY_IS_YAML_EDITOR (self), FALSE);
  g_return_val_if_fail (paths != NULL && paths[0] != NULL && value != NULL, FALSE);

  quoted = espy_yaml_quote_scalar (value, ESPY_YAML_STYLE_DOUBLE);
  if (quoted == NULL)
    {
      g_set_error (error, ESPY_YAML_EDIT_ERROR, ESPY_YAML_EDIT_ERROR_NOT_EDITABLE,
                   _("The new value is not UTF-8 text; nothing was changed."));
      return FALSE;
    }

  for (guint i = 0; paths[i] != NULL; i++)
    {
      g_autoptr(ENode) root = NULL;
      g_autoptr(GError) local_error = NULL;
      g_autofree char *target = NULL;
      FileEdit *fe;
      ENode *ota;
      ENode *ota_key;
      gsize len = 0;
      const char *data;

      fe = open_file (self, paths[i], FALSE, error);
      if (fe == NULL)
        return FALSE;
      fe->kind = EDIT_INSERT;
      data = g_bytes_get_data (fe->original, &len);
      if (!parse_tree (data != NULL ? data : "", len, paths[i], &root, error))
        {
          file_edit_free (fe);
          return FALSE;
        }
      ota = mapping_get (root, "ota");
      ota_key = mapping_get_key (root, "ota");
      if (ota != NULL && ota->tag != NULL && g_strcmp0 (ota->tag, "!include") == 0
          && ota->kind == ENODE_SCALAR)
        {
          /* "ota: !include ota.yaml": the entry lives in that file. */
          g_autofree char *dir = g_path_get_dirname (paths[i]);

          target = g_path_is_absolute (ota->value) ? g_strdup (ota->value)
                                                   : g_build_filename (dir, ota->value, NULL);
          file_edit_free (fe);
          if (lookup (self, target) == NULL)
            {
              g_autoptr(ENode) inc_root = NULL;
              g_autoptr(GError) inc_error = NULL;

              fe = open_file (self, target, FALSE, &inc_error);
              if (fe == NULL)
                continue;
              fe->kind = EDIT_INSERT;
              data = g_bytes_get_data (fe->original, &len);
              if (!parse_tree (data != NULL ? data : "", len, target, &inc_root, NULL)
                  || !plan_insert (fe, inc_root, NULL, quoted, &local_error))
                {
                  file_edit_free (fe);
                  if (local_error != NULL)
                    {
                      g_propagate_error (error, g_steal_pointer (&local_error));
                      return FALSE;
                    }
                  continue;
                }
              if (edited_path != NULL)
                *edited_path = g_strdup (target);
              return stage (self, fe, check_insert, &check, error);
            }
          continue;
        }
      if (!plan_insert (fe, ota, ota_key, quoted, &local_error))
        {
          file_edit_free (fe);
          continue;
        }
      if (local_error != NULL)
        {
          file_edit_free (fe);
          g_propagate_error (error, g_steal_pointer (&local_error));
          return FALSE;
        }
      if (edited_path != NULL)
        *edited_path = g_strdup (paths[i]);
      return stage (self, fe, check_insert, &check, error);
    }

  g_set_error (error, ESPY_YAML_EDIT_ERROR, ESPY_YAML_EDIT_ERROR_NOT_FOUND,
               _("No “ota: - platform: esphome” entry was found in the configuration or the files it "
                 "includes. Add one, then set its password."));
  return FALSE;
}

/* ---- secrets.yaml ----------------------------------------------------- */

typedef struct {
  const char *name;
  const char *value;
  GBytes     *original;
} SecretCheck;

static gboolean
check_secret (ENode         *root,
              FileEdit      *fe,
              gconstpointer  data)
{
  const SecretCheck *c = data;
  g_autoptr(ENode) old_root = NULL;
  gsize len = 0;
  const char *old = g_bytes_get_data (c->original, &len);
  ENode *value = mapping_get (root, c->name);

  if (value == NULL || value->kind != ENODE_SCALAR || g_strcmp0 (value->value, c->value) != 0)
    return FALSE;
  /* Every other secret reads as before. */
  if (!parse_tree (old != NULL ? old : "", len, fe->path, &old_root, NULL))
    return FALSE;
  if (old_root != NULL && old_root->kind == ENODE_MAPPING)
    for (guint i = 0; i + 1 < old_root->items->len; i += 2)
      {
        ENode *key = g_ptr_array_index (old_root->items, i);
        ENode *before = g_ptr_array_index (old_root->items, i + 1);
        ENode *after = mapping_get (root, key->value);

        if (after == NULL || after->kind != before->kind || g_strcmp0 (after->value, before->value) != 0)
          return FALSE;
      }
  return TRUE;
}

gboolean
espy_yaml_editor_has_secret (const char  *secrets_path,
                             const char  *name,
                             GError     **error)
{
  g_autofree char *data = NULL;
  g_autoptr(ENode) root = NULL;
  gsize len = 0;

  if (!g_file_test (secrets_path, G_FILE_TEST_EXISTS))
    return FALSE;
  if (!g_file_get_contents (secrets_path, &data, &len, NULL))
    return FALSE;
  if (!parse_tree (data, len, secrets_path, &root, error))
    return FALSE;
  return mapping_get (root, name) != NULL;
}

gboolean
espy_yaml_editor_add_secret (EspyYamlEditor  *self,
                             const char      *secrets_path,
                             const char      *name,
                             const char      *value,
                             GError         **error)
{
  g_autoptr(ENode) root = NULL;
  g_autofree char *quoted = NULL;
  g_autofree char *pad = NULL;
  FileEdit *fe;
  gsize len = 0;
  const char *data;
  const char *eol;
  SecretCheck check = { name, value, NULL };

  g_return_val_if_fail (ESPY_IS_YAML_EDITOR (self), FALSE);
  g_return_val_if_fail (secrets_path != NULL && name != NULL && value != NULL, FALSE);

  if (!plain_ok (name))
    {
      g_set_error (error, ESPY_YAML_EDIT_ERROR, ESPY_YAML_EDIT_ERROR_NOT_EDITABLE,
                   _("“%s” cannot be used as a secret name: use letters, digits and “_”."), name);
      return FALSE;
    }
  quoted = espy_yaml_quote_scalar (value, ESPY_YAML_STYLE_DOUBLE);
  if (quoted == NULL)
    {
      g_set_error (error, ESPY_YAML_EDIT_ERROR, ESPY_YAML_EDIT_ERROR_NOT_EDITABLE,
                   _("The new value is not UTF-8 text; nothing was changed."));
      return FALSE;
    }
  fe = open_file (self, secrets_path, TRUE, error);
  if (fe == NULL)
    return FALSE;
  fe->kind = EDIT_ADD_SECRET;
  data = g_bytes_get_data (fe->original, &len);
  if (!parse_tree (data != NULL ? data : "", len, secrets_path, &root, error))
    {
      file_edit_free (fe);
      return FALSE;
    }
  if (root != NULL && !(root->kind == ENODE_MAPPING && !root->flow)
      && !(root->kind == ENODE_SCALAR && root->value[0] == '\0'))
    {
      g_set_error (error, ESPY_YAML_EDIT_ERROR, ESPY_YAML_EDIT_ERROR_NOT_EDITABLE,
                   _("%s is not a list of “name: value” lines; add the secret by hand."), secrets_path);
      file_edit_free (fe);
      return FALSE;
    }
  if (mapping_get (root, name) != NULL)
    {
      g_set_error (error, ESPY_YAML_EDIT_ERROR, ESPY_YAML_EDIT_ERROR_EXISTS,
                   _("%s already defines “%s”."), secrets_path, name);
      file_edit_free (fe);
      return FALSE;
    }
  eol = len > 0 ? detect_eol (data, len) : "\n";
  if (root != NULL && root->kind == ENODE_MAPPING && root->items->len > 0)
    pad = g_strnfill (((ENode *) g_ptr_array_index (root->items, 0))->column - 1, ' ');
  else
    pad = g_strdup ("");
  fe->start = fe->end = len;
  fe->text = g_strdup_printf ("%s%s%s: %s%s", len > 0 && data[len - 1] != '\n' ? eol : "",
                              pad, name, quoted, eol);
  fe->secret_text = g_strdup (quoted);
  check.original = fe->original;
  return stage (self, fe, check_secret, &check, error);
}

/* ---- Looking at the changes ------------------------------------------- */

GStrv
espy_yaml_editor_get_paths (EspyYamlEditor *self)
{
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();

  g_return_val_if_fail (ESPY_IS_YAML_EDITOR (self), NULL);
  for (guint i = 0; i < self->files->len; i++)
    g_strv_builder_add (builder, ((FileEdit *) g_ptr_array_index (self->files, i))->path);
  return g_strv_builder_end (builder);
}

GBytes *
espy_yaml_editor_get_original (EspyYamlEditor *self,
                               const char     *path)
{
  FileEdit *fe;

  g_return_val_if_fail (ESPY_IS_YAML_EDITOR (self), NULL);
  fe = lookup (self, path);
  return fe != NULL ? fe->original : NULL;
}

GBytes *
espy_yaml_editor_get_edited (EspyYamlEditor *self,
                             const char     *path)
{
  FileEdit *fe;

  g_return_val_if_fail (ESPY_IS_YAML_EDITOR (self), NULL);
  fe = lookup (self, path);
  return fe != NULL ? fe->edited : NULL;
}

/* Lines of TEXT, each with its line break. */
static GPtrArray *
split_lines (const char *text,
             gsize       len)
{
  GPtrArray *lines = g_ptr_array_new_with_free_func (g_free);
  gsize start = 0;

  for (gsize i = 0; i < len; i++)
    if (text[i] == '\n')
      {
        g_ptr_array_add (lines, g_strndup (text + start, i + 1 - start));
        start = i + 1;
      }
  if (start < len)
    g_ptr_array_add (lines, g_strndup (text + start, len - start));
  return lines;
}

static void
append_diff_line (GString    *out,
                  char        prefix,
                  const char *line,
                  FileEdit   *fe,
                  gboolean    redact)
{
  g_autofree char *copy = g_strdup (line);
  gsize n = strlen (copy);

  if (redact)
    {
      const char *secrets[] = { fe->secret_text, fe->removed_secret };

      for (guint i = 0; i < G_N_ELEMENTS (secrets); i++)
        {
          char *hit;

          if (secrets[i] == NULL || secrets[i][0] == '\0')
            continue;
          while ((hit = strstr (copy, secrets[i])) != NULL)
            {
              g_autofree char *before = g_strndup (copy, (gsize) (hit - copy));
              char *joined = g_strconcat (before, REDACTED, hit + strlen (secrets[i]), NULL);

              espy_secret_string_clear (&copy);
              copy = joined;
            }
        }
      n = strlen (copy);
    }
  g_string_append_c (out, prefix);
  g_string_append (out, copy);
  if (n == 0 || copy[n - 1] != '\n')
    g_string_append (out, "\n\\ No newline at end of file\n");
  espy_secret_string_clear (&copy);
}

char *
espy_yaml_editor_diff (EspyYamlEditor *self,
                       const char     *base_dir,
                       gboolean        redact)
{
  GString *out = g_string_new (NULL);

  g_return_val_if_fail (ESPY_IS_YAML_EDITOR (self), NULL);

  for (guint f = 0; f < self->files->len; f++)
    {
      FileEdit *fe = g_ptr_array_index (self->files, f);
      gsize olen = 0;
      gsize nlen = 0;
      const char *old = g_bytes_get_data (fe->original, &olen);
      const char *new = g_bytes_get_data (fe->edited, &nlen);
      g_autoptr(GPtrArray) a = split_lines (old != NULL ? old : "", olen);
      g_autoptr(GPtrArray) b = split_lines (new != NULL ? new : "", nlen);
      const char *name = fe->path;
      guint head = 0;
      guint tail = 0;
      guint ctx_start;
      guint a_end;
      guint b_end;

      if (base_dir != NULL && g_str_has_prefix (name, base_dir) && name[strlen (base_dir)] == '/')
        name += strlen (base_dir) + 1;
      /* One edit per file: one hunk, the common head and tail around it. */
      while (head < a->len && head < b->len
             && strcmp (g_ptr_array_index (a, head), g_ptr_array_index (b, head)) == 0)
        head++;
      while (tail < a->len - head && tail < b->len - head
             && strcmp (g_ptr_array_index (a, a->len - 1 - tail), g_ptr_array_index (b, b->len - 1 - tail)) == 0)
        tail++;
      if (head == a->len && head == b->len)
        continue;
      ctx_start = head >= 3 ? head - 3 : 0;
      a_end = MIN (a->len, a->len - tail + 3);
      b_end = MIN (b->len, b->len - tail + 3);

      g_string_append_printf (out, "--- %s%s\n+++ %s\n", fe->existed ? "a/" : "", fe->existed ? name : "/dev/null",
                              name);
      g_string_append_printf (out, "@@ -%u,%u +%u,%u @@\n",
                              a_end - ctx_start == 0 ? ctx_start : ctx_start + 1, a_end - ctx_start,
                              b_end - ctx_start == 0 ? ctx_start : ctx_start + 1, b_end - ctx_start);
      for (guint i = ctx_start; i < head; i++)
        append_diff_line (out, ' ', g_ptr_array_index (a, i), fe, redact);
      for (guint i = head; i < a->len - tail; i++)
        append_diff_line (out, '-', g_ptr_array_index (a, i), fe, redact);
      for (guint i = head; i < b->len - tail; i++)
        append_diff_line (out, '+', g_ptr_array_index (b, i), fe, redact);
      for (guint i = a->len - tail; i < a_end; i++)
        append_diff_line (out, ' ', g_ptr_array_index (a, i), fe, redact);
    }
  return g_string_free (out, FALSE);
}

/* ---- Writing ---------------------------------------------------------- */

static char *
backup_path_for (const char *real)
{
  g_autofree char *dir = g_path_get_dirname (real);
  g_autofree char *base = g_path_get_basename (real);
  g_autofree char *name = g_strdup_printf (".%s.espy-backup", base);

  return g_build_filename (dir, name, NULL);
}

static gboolean
write_atomic (const char  *path,
              GBytes      *bytes,
              guint        mode,
              GError     **error)
{
  gsize len = 0;
  const char *data = g_bytes_get_data (bytes, &len);
  g_autoptr(GError) local_error = NULL;

  if (!g_file_set_contents_full (path, data != NULL ? data : "", (gssize) len,
                                 G_FILE_SET_CONTENTS_CONSISTENT, (int) mode, &local_error))
    {
      g_set_error (error, ESPY_YAML_EDIT_ERROR, ESPY_YAML_EDIT_ERROR_IO,
                   _("Cannot write %s: %s"), path, local_error->message);
      return FALSE;
    }
  /* The umask may have narrowed the mode. */
  g_chmod (path, (int) mode);
  return TRUE;
}

static gboolean
restore (FileEdit  *fe,
         GError   **error)
{
  if (!fe->written)
    return TRUE;
  if (!fe->existed)
    {
      if (g_unlink (fe->real) != 0 && errno != ENOENT)
        {
          int saved = errno;

          g_set_error (error, ESPY_YAML_EDIT_ERROR, ESPY_YAML_EDIT_ERROR_IO,
                       _("Cannot remove %s: %s"), fe->path, g_strerror (saved));
          return FALSE;
        }
    }
  else if (!write_atomic (fe->real, fe->original, fe->mode, error))
    return FALSE;
  fe->written = FALSE;
  if (fe->backup != NULL)
    g_unlink (fe->backup);
  g_clear_pointer (&fe->backup, g_free);
  return TRUE;
}

gboolean
espy_yaml_editor_commit (EspyYamlEditor  *self,
                         GError         **error)
{
  g_return_val_if_fail (ESPY_IS_YAML_EDITOR (self), FALSE);
  g_return_val_if_fail (!self->committed, FALSE);

  /* Nothing is written unless every file is still as it was read. */
  for (guint i = 0; i < self->files->len; i++)
    {
      FileEdit *fe = g_ptr_array_index (self->files, i);
      g_autofree char *data = NULL;
      gsize len = 0;
      gboolean same;

      if (fe->existed)
        same = g_file_get_contents (fe->real, &data, &len, NULL)
               && g_bytes_get_size (fe->original) == len
               && memcmp (g_bytes_get_data (fe->original, NULL), data, len) == 0;
      else
        same = !g_file_test (fe->real, G_FILE_TEST_EXISTS);
      if (!same)
        {
          g_set_error (error, ESPY_YAML_EDIT_ERROR, ESPY_YAML_EDIT_ERROR_CHANGED_ON_DISK,
                       _("%s changed while the password change was being prepared; nothing was written. "
                         "Start again."), fe->path);
          return FALSE;
        }
    }

  for (guint i = 0; i < self->files->len; i++)
    {
      FileEdit *fe = g_ptr_array_index (self->files, i);
      g_autoptr(GError) local_error = NULL;

      if (fe->existed)
        {
          fe->backup = backup_path_for (fe->real);
          if (!write_atomic (fe->backup, fe->original, 0600, &local_error))
            g_clear_pointer (&fe->backup, g_free);
        }
      if (local_error == NULL)
        {
          fe->written = TRUE;  /* from here on a restore must put it back */
          if (!write_atomic (fe->real, fe->edited, fe->mode, &local_error))
            fe->written = fe->existed ? g_file_test (fe->real, G_FILE_TEST_EXISTS) : FALSE;
        }
      if (local_error != NULL)
        {
          for (guint j = 0; j <= i; j++)
            restore (g_ptr_array_index (self->files, j), NULL);
          g_propagate_error (error, g_steal_pointer (&local_error));
          return FALSE;
        }
    }
  self->committed = TRUE;
  return TRUE;
}

gboolean
espy_yaml_editor_is_committed (EspyYamlEditor *self)
{
  g_return_val_if_fail (ESPY_IS_YAML_EDITOR (self), FALSE);
  return self->committed;
}

gboolean
espy_yaml_editor_rollback (EspyYamlEditor  *self,
                           GError         **error)
{
  gboolean ok = TRUE;

  g_return_val_if_fail (ESPY_IS_YAML_EDITOR (self), FALSE);

  /* Try every file even when one fails; report the first failure. */
  for (guint i = self->files->len; i > 0; i--)
    {
      g_autoptr(GError) local_error = NULL;

      if (!restore (g_ptr_array_index (self->files, i - 1), &local_error))
        {
          if (ok)
            g_propagate_error (error, g_steal_pointer (&local_error));
          ok = FALSE;
        }
    }
  if (ok)
    self->committed = FALSE;
  return ok;
}

void
espy_yaml_editor_finish (EspyYamlEditor *self)
{
  g_return_if_fail (ESPY_IS_YAML_EDITOR (self));

  for (guint i = 0; i < self->files->len; i++)
    {
      FileEdit *fe = g_ptr_array_index (self->files, i);

      if (fe->backup != NULL)
        g_unlink (fe->backup);
      g_clear_pointer (&fe->backup, g_free);
      fe->written = FALSE;
    }
}
