/* espy-log-buffer.c: a ring of compact log entries and its filtered view.
 *
 * Each entry is one allocation (header, secret ranges and text inline; tag
 * and task interned, devices use a handful of each), so a full buffer of
 * 100,000 lines stays near 10 MB. The ring grows by doubling up to what
 * max-lines needs and never shrinks below it: appends are O(1) amortised.
 * The view is the ring itself while no filter is set, else an array of
 * sequence numbers kept in step with appends and drops.
 *
 * Copyright 2026 The Espy authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "espy-log-buffer.h"

#include <string.h>

typedef struct
{
  grefcount     ref;
  guint64       seq;
  gint64        time_us;
  const char   *tag;      /* interned or NULL */
  const char   *task;     /* interned or NULL */
  guint32       line_no;
  guint32       n_lines;
  guint32       n_secrets;
  guint8        level;
  guint8        colour;
  guint8        bold;
  gsize         text_len;
  EspyLogRange *secrets;  /* inline, after the struct */
  char         *text;     /* inline, after the ranges */
} Entry;

static Entry *
entry_ref (Entry *e)
{
  g_ref_count_inc (&e->ref);
  return e;
}

static void
entry_unref (Entry *e)
{
  if (e != NULL && g_ref_count_dec (&e->ref))
    g_free (e);
}

/* One block for the struct, N_SECRETS ranges and TEXT_LEN + 1 bytes. */
static Entry *
entry_alloc (guint n_secrets,
             gsize text_len)
{
  gsize size = sizeof (Entry) + n_secrets * sizeof (EspyLogRange) + text_len + 1;
  Entry *e = g_malloc0 (size);

  g_ref_count_init (&e->ref);
  e->n_secrets = n_secrets;
  e->text_len = text_len;
  e->secrets = (EspyLogRange *) (e + 1);
  e->text = (char *) (e->secrets + n_secrets);
  return e;
}

static guint
count_lines (const char *text,
             gsize       len)
{
  guint n = 1;

  for (const char *p = memchr (text, '\n', len); p != NULL;
       p = memchr (p + 1, '\n', len - (gsize) (p + 1 - text)))
    n++;
  return n;
}

/* The first SGR sequence of RAW: foreground 30..38 and bold. */
static void
parse_colour (const char *raw,
              guint8     *colour,
              guint8     *bold)
{
  const char *p = raw != NULL ? strstr (raw, "\033[") : NULL;

  *colour = 0;
  *bold = 0;
  if (p == NULL)
    return;
  p += 2;
  while (*p != '\0' && *p != 'm')
    {
      char *end = NULL;
      guint64 v = g_ascii_strtoull (p, &end, 10);

      if (end == p)
        return;  /* not an SGR sequence */
      if (v == 1)
        *bold = 1;
      else if (v == 0)
        *bold = 0;
      else if (v >= 30 && v <= 38)
        *colour = (guint8) v;
      p = end;
      if (*p == ';')
        p++;
    }
}

static Entry *
entry_new (const EspyLogLine *line,
           const char        *raw,
           guint64            seq,
           gint64             time_us)
{
  guint n_secrets = line->secrets != NULL ? line->secrets->len : 0;
  gsize len = line->text != NULL ? strlen (line->text) : 0;
  Entry *e = entry_alloc (n_secrets, len);

  e->seq = seq;
  e->time_us = time_us;
  e->tag = line->tag != NULL ? g_intern_string (line->tag) : NULL;
  e->task = line->task != NULL ? g_intern_string (line->task) : NULL;
  e->line_no = line->line;
  e->level = (guint8) line->level;
  parse_colour (raw, &e->colour, &e->bold);
  if (n_secrets > 0)
    memcpy (e->secrets, line->secrets->data, n_secrets * sizeof (EspyLogRange));
  if (len > 0)
    memcpy (e->text, line->text, len);
  e->n_lines = count_lines (e->text, len);
  return e;
}

/* A new entry: E's text, "\n", LINE's text (secrets shifted). */
static Entry *
entry_join (const Entry       *e,
            const EspyLogLine *line)
{
  guint extra = line->secrets != NULL ? line->secrets->len : 0;
  gsize add = strlen (line->text);
  Entry *j = entry_alloc (e->n_secrets + extra, e->text_len + 1 + add);
  guint shift = (guint) e->text_len + 1;

  j->seq = e->seq;
  j->time_us = e->time_us;
  j->tag = e->tag;
  j->task = e->task;
  j->line_no = e->line_no;
  j->level = e->level;
  j->colour = e->colour;
  j->bold = e->bold;
  memcpy (j->secrets, e->secrets, e->n_secrets * sizeof (EspyLogRange));
  for (guint i = 0; i < extra; i++)
    {
      EspyLogRange r = g_array_index (line->secrets, EspyLogRange, i);

      j->secrets[e->n_secrets + i].start = r.start + shift;
      j->secrets[e->n_secrets + i].end = r.end + shift;
    }
  memcpy (j->text, e->text, e->text_len);
  j->text[e->text_len] = '\n';
  memcpy (j->text + shift, line->text, add);
  j->n_lines = e->n_lines + count_lines (line->text, add);
  return j;
}

static gboolean
is_continuation (const Entry       *last,
                 const EspyLogLine *line)
{
  /* ESPHome dumps its config as a "Component:" line and indented detail
   * lines, each logged on its own: show them as one block. */
  return last != NULL &&
         line->level == ESPY_LOG_LEVEL_CONFIG &&
         last->level == ESPY_LOG_LEVEL_CONFIG &&
         line->tag != NULL && last->tag != NULL &&
         g_str_equal (line->tag, last->tag) &&
         line->task == last->task &&
         line->text != NULL && line->text[0] == ' ';
}

/* --- EspyLogEntry ----------------------------------------------------------- */

struct _EspyLogEntry
{
  GObject parent_instance;
  Entry *e;
};

G_DEFINE_FINAL_TYPE (EspyLogEntry, espy_log_entry, G_TYPE_OBJECT)

static void
espy_log_entry_finalize (GObject *object)
{
  EspyLogEntry *self = ESPY_LOG_ENTRY (object);

  entry_unref (self->e);
  G_OBJECT_CLASS (espy_log_entry_parent_class)->finalize (object);
}

static void
espy_log_entry_class_init (EspyLogEntryClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = espy_log_entry_finalize;
}

static void
espy_log_entry_init (EspyLogEntry *self)
{
}

static EspyLogEntry *
espy_log_entry_new (Entry *e)
{
  EspyLogEntry *self = g_object_new (ESPY_TYPE_LOG_ENTRY, NULL);

  self->e = entry_ref (e);
  return self;
}

guint64
espy_log_entry_get_seq (EspyLogEntry *self)
{
  g_return_val_if_fail (ESPY_IS_LOG_ENTRY (self), 0);
  return self->e->seq;
}

gint64
espy_log_entry_get_time (EspyLogEntry *self)
{
  g_return_val_if_fail (ESPY_IS_LOG_ENTRY (self), 0);
  return self->e->time_us;
}

EspyLogLevel
espy_log_entry_get_level (EspyLogEntry *self)
{
  g_return_val_if_fail (ESPY_IS_LOG_ENTRY (self), ESPY_LOG_LEVEL_NONE);
  return (EspyLogLevel) self->e->level;
}

const char *
espy_log_entry_get_tag (EspyLogEntry *self)
{
  g_return_val_if_fail (ESPY_IS_LOG_ENTRY (self), NULL);
  return self->e->tag;
}

guint
espy_log_entry_get_line (EspyLogEntry *self)
{
  g_return_val_if_fail (ESPY_IS_LOG_ENTRY (self), 0);
  return self->e->line_no;
}

const char *
espy_log_entry_get_task (EspyLogEntry *self)
{
  g_return_val_if_fail (ESPY_IS_LOG_ENTRY (self), NULL);
  return self->e->task;
}

const char *
espy_log_entry_get_text (EspyLogEntry *self)
{
  g_return_val_if_fail (ESPY_IS_LOG_ENTRY (self), NULL);
  return self->e->text;
}

guint
espy_log_entry_get_n_lines (EspyLogEntry *self)
{
  g_return_val_if_fail (ESPY_IS_LOG_ENTRY (self), 0);
  return self->e->n_lines;
}

const EspyLogRange *
espy_log_entry_get_secrets (EspyLogEntry *self,
                            guint        *n_secrets)
{
  g_return_val_if_fail (ESPY_IS_LOG_ENTRY (self), NULL);
  if (n_secrets != NULL)
    *n_secrets = self->e->n_secrets;
  return self->e->secrets;
}

guint
espy_log_entry_get_colour (EspyLogEntry *self,
                           gboolean     *bold)
{
  g_return_val_if_fail (ESPY_IS_LOG_ENTRY (self), 0);
  if (bold != NULL)
    *bold = self->e->bold != 0;
  return self->e->colour;
}

static void
append_header (GString     *out,
               const Entry *e)
{
  if (e->tag == NULL)
    return;
  g_string_append_printf (out, "[%s][%s:%03u]", espy_log_level_to_letter ((EspyLogLevel) e->level),
                          e->tag, e->line_no);
  if (e->task != NULL)
    g_string_append_printf (out, "[%s]", e->task);
  g_string_append (out, ": ");
}

static void
append_timestamp (GString *out,
                  gint64   time_us)
{
  g_autoptr(GDateTime) dt = g_date_time_new_from_unix_local (time_us / G_USEC_PER_SEC);

  if (dt == NULL)
    return;
  g_string_append_printf (out, "%02d:%02d:%02d.%03d ", g_date_time_get_hour (dt),
                          g_date_time_get_minute (dt), g_date_time_get_second (dt),
                          (int) ((time_us % G_USEC_PER_SEC) / 1000));
}

static void
append_text (GString     *out,
             const Entry *e,
             const char  *mask)
{
  gsize pos = 0;

  if (mask == NULL || e->n_secrets == 0)
    {
      g_string_append_len (out, e->text, (gssize) e->text_len);
      return;
    }
  for (guint i = 0; i < e->n_secrets; i++)
    {
      g_string_append_len (out, e->text + pos, (gssize) (e->secrets[i].start - pos));
      g_string_append (out, mask);
      pos = e->secrets[i].end;
    }
  g_string_append_len (out, e->text + pos, (gssize) (e->text_len - pos));
}

static void
append_entry (GString     *out,
              const Entry *e,
              gboolean     timestamp,
              const char  *mask)
{
  gsize stamp_start = out->len, stamp_len, text_start;

  if (timestamp)
    append_timestamp (out, e->time_us);
  stamp_len = out->len - stamp_start;
  append_header (out, e);
  text_start = out->len;
  append_text (out, e, mask);
  /* Every line of a config dump gets the time, as `esphome logs` prints
   * it: the dump stays aligned and each line greps on its own. */
  if (stamp_len > 0)
    {
      g_autofree char *stamp = g_strndup (out->str + stamp_start, stamp_len);

      for (gsize i = text_start; i < out->len; i++)
        if (out->str[i] == '\n')
          {
            g_string_insert_len (out, (gssize) i + 1, stamp, (gssize) stamp_len);
            i += stamp_len;
          }
    }
}

char *
espy_log_entry_format (EspyLogEntry *self,
                       gboolean      timestamp,
                       const char   *mask)
{
  GString *out;

  g_return_val_if_fail (ESPY_IS_LOG_ENTRY (self), NULL);
  out = g_string_sized_new (self->e->text_len + 32);
  append_entry (out, self->e, timestamp, mask);
  return g_string_free (out, FALSE);
}

char *
espy_log_entry_format_header (EspyLogEntry *self)
{
  GString *out;

  g_return_val_if_fail (ESPY_IS_LOG_ENTRY (self), NULL);
  out = g_string_new (NULL);
  append_header (out, self->e);
  return g_string_free (out, FALSE);
}

/* --- EspyLogBuffer ---------------------------------------------------------- */

struct _EspyLogBuffer
{
  GObject parent_instance;

  guint max_lines;
  EspyLogLevel max_level;
  char *search;       /* NULL when none */

  /* The ring: LEN entries from ring[head], CAP slots. */
  Entry **ring;
  guint cap;
  guint head;
  guint len;
  guint n_lines;
  guint64 next_seq;
  guint64 n_dropped;

  /* The view's sequence numbers while a filter is set: from view[vhead]. */
  gboolean filtering;
  GArray *view;
  guint vhead;
};

enum {
  PROP_0,
  PROP_MAX_LINES,
  PROP_MAX_LEVEL,
  PROP_SEARCH,
  PROP_N_LINES,
  N_PROPS
};

static GParamSpec *props[N_PROPS];

static void list_model_iface_init (GListModelInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (EspyLogBuffer, espy_log_buffer, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_LIST_MODEL, list_model_iface_init))

static inline Entry *
ring_at (EspyLogBuffer *self,
         guint          i)
{
  return self->ring[(self->head + i) % self->cap];
}

static inline guint
view_len (EspyLogBuffer *self)
{
  return self->filtering ? self->view->len - self->vhead : self->len;
}

/* ASCII case-insensitive substring test; NEEDLE is already lowercase. */
static gboolean
contains_ci (const char *haystack,
             const char *needle)
{
  gsize n = strlen (needle);

  if (haystack == NULL)
    return FALSE;
  for (const char *p = haystack; *p != '\0'; p++)
    {
      if (g_ascii_tolower (*p) != needle[0])
        continue;
      if (g_ascii_strncasecmp (p, needle, n) == 0)
        return TRUE;
    }
  return FALSE;
}

static gboolean
matches (EspyLogBuffer *self,
         const Entry   *e)
{
  if (e->level != ESPY_LOG_LEVEL_NONE && e->level > self->max_level)
    return FALSE;
  if (self->search != NULL &&
      !contains_ci (e->text, self->search) &&
      !contains_ci (e->tag, self->search))
    return FALSE;
  return TRUE;
}

static GType
get_item_type (GListModel *model)
{
  return ESPY_TYPE_LOG_ENTRY;
}

static guint
get_n_items (GListModel *model)
{
  return view_len (ESPY_LOG_BUFFER (model));
}

static gpointer
get_item (GListModel *model,
          guint       position)
{
  EspyLogBuffer *self = ESPY_LOG_BUFFER (model);
  guint index;

  if (position >= view_len (self))
    return NULL;
  if (!self->filtering)
    index = position;
  else
    index = (guint) (g_array_index (self->view, guint64, self->vhead + position) - ring_at (self, 0)->seq);
  return espy_log_entry_new (ring_at (self, index));
}

static void
list_model_iface_init (GListModelInterface *iface)
{
  iface->get_item_type = get_item_type;
  iface->get_n_items = get_n_items;
  iface->get_item = get_item;
}

static void
view_compact (EspyLogBuffer *self)
{
  /* Drops happen at the front: reclaim the space now and then, not per drop. */
  if (self->vhead > 4096 && self->vhead > self->view->len / 2)
    {
      g_array_remove_range (self->view, 0, self->vhead);
      self->vhead = 0;
    }
}

/* Drops the oldest entry, with the view's items-changed when it was shown. */
static void
drop_oldest (EspyLogBuffer *self)
{
  Entry *e = ring_at (self, 0);
  gboolean shown;

  if (!self->filtering)
    shown = TRUE;
  else
    {
      shown = self->vhead < self->view->len &&
              g_array_index (self->view, guint64, self->vhead) == e->seq;
      if (shown)
        self->vhead++;
      view_compact (self);
    }

  self->ring[self->head] = NULL;
  self->head = (self->head + 1) % self->cap;
  self->len--;
  self->n_lines -= e->n_lines;
  self->n_dropped++;
  entry_unref (e);

  if (shown)
    g_list_model_items_changed (G_LIST_MODEL (self), 0, 1, 0);
}

static void
trim (EspyLogBuffer *self)
{
  /* The newest entry stays even when it alone is over the limit. */
  while (self->len > 1 && self->n_lines > self->max_lines)
    drop_oldest (self);
}

static void
ring_grow (EspyLogBuffer *self)
{
  guint new_cap = self->cap == 0 ? 256 : self->cap * 2;
  Entry **ring = g_new0 (Entry *, new_cap);

  for (guint i = 0; i < self->len; i++)
    ring[i] = ring_at (self, i);
  g_free (self->ring);
  self->ring = ring;
  self->cap = new_cap;
  self->head = 0;
}

void
espy_log_buffer_append (EspyLogBuffer     *self,
                        const char        *raw,
                        const EspyLogLine *line,
                        gint64             time_us)
{
  g_autoptr(EspyLogLine) parsed = NULL;
  Entry *last;

  g_return_if_fail (ESPY_IS_LOG_BUFFER (self));
  g_return_if_fail (raw != NULL || line != NULL);

  if (line == NULL)
    line = parsed = espy_log_line_parse (raw, -1);
  if (time_us == 0)
    time_us = g_get_real_time ();

  last = self->len > 0 ? ring_at (self, self->len - 1) : NULL;
  if (is_continuation (last, line))
    {
      guint slot = (self->head + self->len - 1) % self->cap;
      Entry *joined = entry_join (last, line);
      gboolean was_shown = !self->filtering ||
                           (self->view->len > self->vhead &&
                            g_array_index (self->view, guint64, self->view->len - 1) == last->seq);
      gboolean now_shown = matches (self, joined);
      guint pos;

      self->n_lines += joined->n_lines - last->n_lines;
      self->ring[slot] = joined;
      entry_unref (last);

      if (!self->filtering)
        g_list_model_items_changed (G_LIST_MODEL (self), self->len - 1, 1, 1);
      else if (was_shown && now_shown)
        g_list_model_items_changed (G_LIST_MODEL (self), view_len (self) - 1, 1, 1);
      else if (was_shown)
        {
          g_array_set_size (self->view, self->view->len - 1);
          g_list_model_items_changed (G_LIST_MODEL (self), view_len (self), 1, 0);
        }
      else if (now_shown)
        {
          pos = view_len (self);
          g_array_append_val (self->view, joined->seq);
          g_list_model_items_changed (G_LIST_MODEL (self), pos, 0, 1);
        }
    }
  else
    {
      Entry *e = entry_new (line, raw, self->next_seq++, time_us);

      if (self->len == self->cap)
        ring_grow (self);
      self->ring[(self->head + self->len) % self->cap] = e;
      self->len++;
      self->n_lines += e->n_lines;

      if (!self->filtering)
        g_list_model_items_changed (G_LIST_MODEL (self), self->len - 1, 0, 1);
      else if (matches (self, e))
        {
          g_array_append_val (self->view, e->seq);
          g_list_model_items_changed (G_LIST_MODEL (self), view_len (self) - 1, 0, 1);
        }
    }

  trim (self);
  g_object_notify_by_pspec (G_OBJECT (self), props[PROP_N_LINES]);
}

/* Rebuilds the view after a filter change: one items-changed for all. */
static void
refilter (EspyLogBuffer *self)
{
  guint old_n = view_len (self);

  self->filtering = self->max_level < ESPY_LOG_LEVEL_VERY_VERBOSE || self->search != NULL;
  g_array_set_size (self->view, 0);
  self->vhead = 0;
  if (self->filtering)
    for (guint i = 0; i < self->len; i++)
      {
        Entry *e = ring_at (self, i);

        if (matches (self, e))
          g_array_append_val (self->view, e->seq);
      }
  if (old_n > 0 || view_len (self) > 0)
    g_list_model_items_changed (G_LIST_MODEL (self), 0, old_n, view_len (self));
}

void
espy_log_buffer_clear (EspyLogBuffer *self)
{
  guint old_n;

  g_return_if_fail (ESPY_IS_LOG_BUFFER (self));

  old_n = view_len (self);
  for (guint i = 0; i < self->len; i++)
    entry_unref (ring_at (self, i));
  self->head = 0;
  self->len = 0;
  self->n_lines = 0;
  g_array_set_size (self->view, 0);
  self->vhead = 0;
  if (old_n > 0)
    g_list_model_items_changed (G_LIST_MODEL (self), 0, old_n, 0);
  g_object_notify_by_pspec (G_OBJECT (self), props[PROP_N_LINES]);
}

void
espy_log_buffer_set_max_lines (EspyLogBuffer *self,
                               guint          max_lines)
{
  g_return_if_fail (ESPY_IS_LOG_BUFFER (self));

  if (max_lines == 0)
    max_lines = ESPY_LOG_BUFFER_DEFAULT_MAX_LINES;
  if (self->max_lines == max_lines)
    return;
  self->max_lines = max_lines;
  trim (self);
  g_object_notify_by_pspec (G_OBJECT (self), props[PROP_MAX_LINES]);
  g_object_notify_by_pspec (G_OBJECT (self), props[PROP_N_LINES]);
}

guint
espy_log_buffer_get_max_lines (EspyLogBuffer *self)
{
  g_return_val_if_fail (ESPY_IS_LOG_BUFFER (self), 0);
  return self->max_lines;
}

void
espy_log_buffer_set_max_level (EspyLogBuffer *self,
                               EspyLogLevel   level)
{
  g_return_if_fail (ESPY_IS_LOG_BUFFER (self));

  if (level == ESPY_LOG_LEVEL_NONE || level > ESPY_LOG_LEVEL_VERY_VERBOSE)
    level = ESPY_LOG_LEVEL_VERY_VERBOSE;
  if (self->max_level == level)
    return;
  self->max_level = level;
  refilter (self);
  g_object_notify_by_pspec (G_OBJECT (self), props[PROP_MAX_LEVEL]);
}

EspyLogLevel
espy_log_buffer_get_max_level (EspyLogBuffer *self)
{
  g_return_val_if_fail (ESPY_IS_LOG_BUFFER (self), ESPY_LOG_LEVEL_VERY_VERBOSE);
  return self->max_level;
}

void
espy_log_buffer_set_search (EspyLogBuffer *self,
                            const char    *search)
{
  g_autofree char *lower = NULL;

  g_return_if_fail (ESPY_IS_LOG_BUFFER (self));

  if (search != NULL && search[0] != '\0')
    lower = g_ascii_strdown (search, -1);
  if (g_strcmp0 (lower, self->search) == 0)
    return;
  g_free (self->search);
  self->search = g_steal_pointer (&lower);
  refilter (self);
  g_object_notify_by_pspec (G_OBJECT (self), props[PROP_SEARCH]);
}

const char *
espy_log_buffer_get_search (EspyLogBuffer *self)
{
  g_return_val_if_fail (ESPY_IS_LOG_BUFFER (self), NULL);
  return self->search;
}

guint
espy_log_buffer_get_n_lines (EspyLogBuffer *self)
{
  g_return_val_if_fail (ESPY_IS_LOG_BUFFER (self), 0);
  return self->n_lines;
}

guint
espy_log_buffer_get_n_entries (EspyLogBuffer *self)
{
  g_return_val_if_fail (ESPY_IS_LOG_BUFFER (self), 0);
  return self->len;
}

guint64
espy_log_buffer_get_n_dropped (EspyLogBuffer *self)
{
  g_return_val_if_fail (ESPY_IS_LOG_BUFFER (self), 0);
  return self->n_dropped;
}

char *
espy_log_buffer_dup_text (EspyLogBuffer *self,
                          gboolean       timestamps,
                          const char    *mask)
{
  GString *out;
  guint n;

  g_return_val_if_fail (ESPY_IS_LOG_BUFFER (self), NULL);

  out = g_string_new (NULL);
  n = view_len (self);
  for (guint i = 0; i < n; i++)
    {
      guint index = !self->filtering ? i
                    : (guint) (g_array_index (self->view, guint64, self->vhead + i) - ring_at (self, 0)->seq);

      append_entry (out, ring_at (self, index), timestamps, mask);
      g_string_append_c (out, '\n');
    }
  return g_string_free (out, FALSE);
}

EspyLogBuffer *
espy_log_buffer_new (guint max_lines)
{
  return g_object_new (ESPY_TYPE_LOG_BUFFER,
                       "max-lines", max_lines == 0 ? ESPY_LOG_BUFFER_DEFAULT_MAX_LINES : max_lines,
                       NULL);
}

static void
espy_log_buffer_finalize (GObject *object)
{
  EspyLogBuffer *self = ESPY_LOG_BUFFER (object);

  for (guint i = 0; i < self->len; i++)
    entry_unref (ring_at (self, i));
  g_free (self->ring);
  g_array_unref (self->view);
  g_free (self->search);
  G_OBJECT_CLASS (espy_log_buffer_parent_class)->finalize (object);
}

static void
espy_log_buffer_get_property (GObject    *object,
                              guint       prop_id,
                              GValue     *value,
                              GParamSpec *pspec)
{
  EspyLogBuffer *self = ESPY_LOG_BUFFER (object);

  switch (prop_id)
    {
    case PROP_MAX_LINES:
      g_value_set_uint (value, self->max_lines);
      break;
    case PROP_MAX_LEVEL:
      g_value_set_int (value, (int) self->max_level);
      break;
    case PROP_SEARCH:
      g_value_set_string (value, self->search);
      break;
    case PROP_N_LINES:
      g_value_set_uint (value, self->n_lines);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
espy_log_buffer_set_property (GObject      *object,
                              guint         prop_id,
                              const GValue *value,
                              GParamSpec   *pspec)
{
  EspyLogBuffer *self = ESPY_LOG_BUFFER (object);

  switch (prop_id)
    {
    case PROP_MAX_LINES:
      espy_log_buffer_set_max_lines (self, g_value_get_uint (value));
      break;
    case PROP_MAX_LEVEL:
      espy_log_buffer_set_max_level (self, (EspyLogLevel) g_value_get_int (value));
      break;
    case PROP_SEARCH:
      espy_log_buffer_set_search (self, g_value_get_string (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
espy_log_buffer_class_init (EspyLogBufferClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = espy_log_buffer_finalize;
  object_class->get_property = espy_log_buffer_get_property;
  object_class->set_property = espy_log_buffer_set_property;

  props[PROP_MAX_LINES] =
    g_param_spec_uint ("max-lines", NULL, NULL, 1, G_MAXUINT, ESPY_LOG_BUFFER_DEFAULT_MAX_LINES,
                       G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  /* An int, not an enum: EspyLogLevel has no GType of its own. */
  props[PROP_MAX_LEVEL] =
    g_param_spec_int ("max-level", NULL, NULL, ESPY_LOG_LEVEL_NONE, ESPY_LOG_LEVEL_VERY_VERBOSE,
                      ESPY_LOG_LEVEL_VERY_VERBOSE,
                      G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  props[PROP_SEARCH] =
    g_param_spec_string ("search", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  props[PROP_N_LINES] =
    g_param_spec_uint ("n-lines", NULL, NULL, 0, G_MAXUINT, 0,
                       G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, props);
}

static void
espy_log_buffer_init (EspyLogBuffer *self)
{
  self->max_lines = ESPY_LOG_BUFFER_DEFAULT_MAX_LINES;
  self->max_level = ESPY_LOG_LEVEL_VERY_VERBOSE;
  self->view = g_array_new (FALSE, FALSE, sizeof (guint64));
}
