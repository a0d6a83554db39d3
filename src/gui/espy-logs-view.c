/* espy-logs-view.c: the logs of one device in a GtkTextView.
 *
 * The text buffer mirrors the EspyLogBuffer's filtered list: appends at the
 * end, drops at the start, a replaced last entry (a config dump growing),
 * or a rebuild after a filter change. Each shown entry takes a known number
 * of lines, kept in a small ring, so a drop deletes exactly its lines.
 * Colours come from the ANSI code the device put on the line, as text tags.
 *
 * Memory: GtkTextView measures lines lazily, between frames. When it draws
 * with a long run of lines it has not measured yet at the bottom, the
 * snapshot takes every one of them (gtk_text_layout_snapshot() runs to the
 * end of the buffer when the visible area ends past the measured height):
 * 100,000 lines laid out and rendered at once, ~300 MB that the heap then
 * keeps. A device that logs faster than the main loop draws (the socket
 * always ready at default priority) would do that on every flood. So the
 * text takes at most MAX_ENTRIES_PER_FRAME entries between two frames; the
 * rest waits in the EspyLogBuffer (bounded) and follows frame by frame.
 *
 * Copyright 2026 The Espy authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <glib/gi18n.h>
#include <string.h>

#include "espy-application.h"
#include "espy-logs-view.h"

#define SECRET_MASK "••••"

/* A few screens of a busy device per frame: 300,000 lines/s at 60 Hz. */
#define MAX_ENTRIES_PER_FRAME 5000

struct _EspyLogsView
{
  AdwBin           parent_instance;

  EspyLogSession  *session;
  EspyLogBuffer   *buffer;
  GtkTextBuffer   *text;
  guint            max_lines;

  /* Lines each shown entry takes, from counts[head]. */
  GArray          *counts;
  guint            head;
  guint            total_lines;

  gboolean         timestamps;
  gboolean         reveal_secrets;
  gboolean         following;
  gboolean         scrolling;      /* our own scroll: not the user's */
  double           last_value;     /* the adjustment as last seen */
  double           last_upper;
  double           last_page;
  char            *search;         /* highlighted text, NULL when none */
  guint            n_matches;
  GtkTextMark     *match_mark;     /* the current match, for next/previous */
  guint            follow_id;
  guint            flush_id;
  GdkFrameClock   *frame_clock;    /* while mapped */
  gulong           after_paint_id;
  guint            since_frame;    /* entries put in since the last frame */
  guint            pending_delete_lines;
  gboolean         needs_rebuild;
  GtkWidget       *key_dialog;
  GtkWidget       *web_dialog;     /* the web server's user name and password */
  char            *web_reason;     /* why the session last asked for them */

  /* Template widgets */
  GtkRevealer     *banner_revealer;
  GtkLabel        *banner_label;
  GtkButton       *banner_button;
  GtkDropDown     *level_dropdown;
  GtkSearchEntry  *search_entry;
  GtkLabel        *match_label;
  GtkToggleButton *only_matches_toggle;
  GtkStack        *stack;
  AdwStatusPage   *status_page;
  GtkScrolledWindow *scrolled;
  GtkTextView     *text_view;
  GtkRevealer     *jump_revealer;
};

G_DEFINE_FINAL_TYPE (EspyLogsView, espy_logs_view, ADW_TYPE_BIN)

enum {
  PROP_0,
  PROP_SESSION,
  PROP_BUFFER,
  PROP_FOLLOWING,
  PROP_TIMESTAMPS,
  PROP_REVEAL_SECRETS,
  N_PROPS
};

static GParamSpec *props[N_PROPS];

/* ESPHome's colours (SGR 30..38) in a palette that reads on light and dark. */
static const struct {
  guint sgr;
  const char *colour;
} palette[] = {
  { 30, "#5e5c64" },
  { 31, "#e01b24" },  /* E */
  { 32, "#2ec27e" },  /* I */
  { 33, "#e5a50a" },  /* W */
  { 34, "#3584e4" },
  { 35, "#c061cb" },  /* C */
  { 36, "#33b2a4" },  /* D */
  { 37, "#9a9996" },  /* V */
  { 38, "#77767b" },  /* VV */
};

/* --- rendering ------------------------------------------------------------------ */

/* A tagged range of the text being inserted, in characters from its start. */
typedef struct {
  int         start;
  int         end;
  GtkTextTag *tag;
} Run;

/* Adds a run, merged with the previous one of the same tag when they touch:
 * a screen of debug lines is then one cyan range, not one per line. */
static void
add_run (GArray     *runs,
         guint      *last,
         GtkTextTag *tag,
         int         start,
         int         end)
{
  Run run = { start, end, tag };

  if (tag == NULL || end <= start)
    return;
  if (*last != G_MAXUINT)
    {
      Run *prev = &g_array_index (runs, Run, *last);

      if (prev->tag == tag && prev->end == start)
        {
          prev->end = end;
          return;
        }
    }
  g_array_append_val (runs, run);
  *last = runs->len - 1;
}

static int
append_text (GString    *out,
             const char *text,
             gssize      len)
{
  g_string_append_len (out, text, len);
  return (int) g_utf8_strlen (text, len);
}

/* Appends LEN bytes of an entry's text at character OFF; with STAMP, every
 * line after the first starts with it too (a config dump stays aligned
 * under its timestamps). Returns the characters appended. */
static int
append_body (GString    *out,
             const char *text,
             gssize      len,
             const char *stamp,
             GArray     *runs,
             guint      *last,
             GtkTextTag *stamp_tag,
             int         off)
{
  const char *end = text + len;
  int n = 0;

  if (stamp == NULL)
    return append_text (out, text, len);
  while (text < end)
    {
      const char *nl = memchr (text, '\n', (gsize) (end - text));
      const char *stop = nl != NULL ? nl + 1 : end;
      int s;

      n += append_text (out, text, stop - text);
      text = stop;
      if (nl == NULL)
        break;
      s = append_text (out, stamp, -1);
      add_run (runs, last, stamp_tag, off + n, off + n + s);
      n += s;
    }
  return n;
}

/* Renders view items [FROM, TO) at the end of the text, in one insertion. */
static void
render_items (EspyLogsView *self,
              guint         from,
              guint         to)
{
  GtkTextTagTable *table = gtk_text_buffer_get_tag_table (self->text);
  GtkTextTag *bold_tag = gtk_text_tag_table_lookup (table, "bold");
  GtkTextTag *stamp_tag = gtk_text_tag_table_lookup (table, "timestamp");
  GtkTextTag *secret_tag = gtk_text_tag_table_lookup (table, "secret");
  g_autoptr(GString) out = g_string_sized_new ((to - from) * 96);
  g_autoptr(GArray) runs = g_array_new (FALSE, FALSE, sizeof (Run));
  guint last_colour = G_MAXUINT, last_bold = G_MAXUINT, last_other = G_MAXUINT;
  GtkTextIter end;
  int base, off = 0;

  if (from >= to)
    return;

  for (guint i = from; i < to; i++)
    {
      g_autoptr(EspyLogEntry) entry = g_list_model_get_item (G_LIST_MODEL (self->buffer), i);
      g_autofree char *header = espy_log_entry_format_header (entry);
      const char *text = espy_log_entry_get_text (entry);
      guint n_secrets = 0;
      const EspyLogRange *secrets = espy_log_entry_get_secrets (entry, &n_secrets);
      gboolean bold = FALSE;
      guint sgr = espy_log_entry_get_colour (entry, &bold);
      guint lines = espy_log_entry_get_n_lines (entry);
      int entry_start = off;
      guint pos = 0;
      g_autofree char *stamp = NULL;

      if (self->timestamps)
        {
          gint64 t = espy_log_entry_get_time (entry);
          g_autoptr(GDateTime) dt = g_date_time_new_from_unix_local (t / G_USEC_PER_SEC);

          if (dt != NULL)
            {
              int n;

              stamp = g_strdup_printf ("%02d:%02d:%02d.%03d ", g_date_time_get_hour (dt),
                                       g_date_time_get_minute (dt), g_date_time_get_second (dt),
                                       (int) ((t % G_USEC_PER_SEC) / 1000));
              n = append_text (out, stamp, -1);

              add_run (runs, &last_other, stamp_tag, off, off + n);
              off += n;
            }
        }
      off += append_text (out, header, -1);
      for (guint s = 0; s <= n_secrets; s++)
        {
          guint stop = s < n_secrets ? secrets[s].start : (guint) strlen (text);
          int n;

          if (stop > pos)
            off += append_body (out, text + pos, (gssize) (stop - pos), stamp, runs, &last_other, stamp_tag, off);
          if (s == n_secrets)
            break;
          /* Hidden unless revealed; the tag marks it either way. */
          if (self->reveal_secrets)
            n = append_text (out, text + secrets[s].start, (gssize) (secrets[s].end - secrets[s].start));
          else
            n = append_text (out, SECRET_MASK, -1);
          add_run (runs, &last_other, secret_tag, off, off + n);
          off += n;
          pos = secrets[s].end;
        }
      off += append_text (out, "\n", 1);

      if (sgr != 0)
        {
          g_autofree char *name = g_strdup_printf ("fg-%u", sgr);

          add_run (runs, &last_colour, gtk_text_tag_table_lookup (table, name), entry_start, off);
        }
      if (bold)
        add_run (runs, &last_bold, bold_tag, entry_start, off);
      g_array_append_val (self->counts, lines);
      self->total_lines += lines;
    }

  gtk_text_buffer_get_end_iter (self->text, &end);
  base = gtk_text_iter_get_offset (&end);
  gtk_text_buffer_insert (self->text, &end, out->str, (int) out->len);
  for (guint r = 0; r < runs->len; r++)
    {
      const Run *run = &g_array_index (runs, Run, r);
      GtkTextIter start, stop;

      gtk_text_buffer_get_iter_at_offset (self->text, &start, base + run->start);
      gtk_text_buffer_get_iter_at_offset (self->text, &stop, base + run->end);
      gtk_text_buffer_apply_tag (self->text, run->tag, &start, &stop);
    }

  if (self->search != NULL)
    {
      GtkTextIter start;

      gtk_text_buffer_get_iter_at_offset (self->text, &start, base);
      gtk_text_buffer_get_end_iter (self->text, &end);
      while (gtk_text_iter_forward_search (&start, self->search, GTK_TEXT_SEARCH_CASE_INSENSITIVE,
                                           &start, &end, NULL))
        {
          gtk_text_buffer_apply_tag_by_name (self->text, "match", &start, &end);
          self->n_matches++;
          start = end;
          gtk_text_buffer_get_end_iter (self->text, &end);
        }
    }
}

static void
update_match_label (EspyLogsView *self)
{
  g_autofree char *text = NULL;

  if (self->search != NULL)
    text = g_strdup_printf ("%u", self->n_matches);
  gtk_label_set_label (self->match_label, text != NULL ? text : "");
}

static void
update_stack (EspyLogsView *self)
{
  gtk_stack_set_visible_child_name (self->stack,
                                    espy_log_buffer_get_n_entries (self->buffer) > 0 ? "logs" : "empty");
}

static inline guint
n_rendered (EspyLogsView *self)
{
  return self->counts->len - self->head;
}

/* The lines of dropped entries leave the top, all at once. */
static void
apply_pending_deletes (EspyLogsView *self)
{
  GtkTextIter start, end;

  if (self->pending_delete_lines == 0)
    return;
  gtk_text_buffer_get_start_iter (self->text, &start);
  gtk_text_buffer_get_iter_at_line (self->text, &end, (int) self->pending_delete_lines);
  gtk_text_buffer_delete (self->text, &start, &end);
  self->pending_delete_lines = 0;
}

static void flush (EspyLogsView *self);

static void queue_flush (EspyLogsView *self);

static void
on_after_paint (GdkFrameClock *clock,
                EspyLogsView  *self)
{
  /* What went in before has been laid out and drawn: the rest may follow
   * (the insertion asks for the next frame). */
  if (self->since_frame == 0)
    return;
  self->since_frame = 0;
  if (n_rendered (self) < g_list_model_get_n_items (G_LIST_MODEL (self->buffer)) || self->needs_rebuild)
    queue_flush (self);
}

static void
watch_frames (EspyLogsView *self,
              gboolean      watch)
{
  if (self->frame_clock != NULL)
    g_clear_signal_handler (&self->after_paint_id, self->frame_clock);
  g_clear_object (&self->frame_clock);
  self->since_frame = 0;
  if (watch && (self->frame_clock = gtk_widget_get_frame_clock (GTK_WIDGET (self))) != NULL)
    {
      g_object_ref (self->frame_clock);
      self->after_paint_id = g_signal_connect (self->frame_clock, "after-paint", G_CALLBACK (on_after_paint), self);
    }
}

/* Brings the text in step with the list: at most once per main loop turn,
 * so a burst of lines is one insertion, and at most MAX_ENTRIES_PER_FRAME
 * between two frames while the view is on screen. */
static void
flush (EspyLogsView *self)
{
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->buffer));
  gboolean paced = self->frame_clock != NULL;
  guint from, to;

  g_clear_handle_id (&self->flush_id, g_source_remove);
  if (self->needs_rebuild)
    {
      gtk_text_buffer_set_text (self->text, "", 0);
      g_array_set_size (self->counts, 0);
      self->head = 0;
      self->total_lines = 0;
      self->pending_delete_lines = 0;
      self->n_matches = 0;
      self->needs_rebuild = FALSE;
    }
  apply_pending_deletes (self);
  if (self->head > 1024 && self->head > self->counts->len / 2)
    {
      g_array_remove_range (self->counts, 0, self->head);
      self->head = 0;
    }
  from = n_rendered (self);
  to = n;
  if (paced)
    to = MIN (n, from + (MAX_ENTRIES_PER_FRAME - MIN (self->since_frame, MAX_ENTRIES_PER_FRAME)));
  render_items (self, from, to);
  if (paced)
    self->since_frame += to - from;
  update_match_label (self);
  update_stack (self);
}

static gboolean
flush_cb (gpointer user_data)
{
  EspyLogsView *self = user_data;

  self->flush_id = 0;
  flush (self);
  return G_SOURCE_REMOVE;
}

static void
queue_flush (EspyLogsView *self)
{
  /* Over the budget: the next frame's after-paint flushes. */
  if (self->frame_clock != NULL && self->since_frame >= MAX_ENTRIES_PER_FRAME)
    return;
  /* Default priority: beside the socket reads, never starved by them. */
  if (self->flush_id == 0)
    self->flush_id = g_idle_add_full (G_PRIORITY_DEFAULT, flush_cb, self, NULL);
}

static void
rebuild (EspyLogsView *self)
{
  self->needs_rebuild = TRUE;
  flush (self);
}

static void
on_items_changed (GListModel   *model,
                  guint         position,
                  guint         removed,
                  guint         added,
                  EspyLogsView *self)
{
  guint n_before = g_list_model_get_n_items (model) - added + removed;
  guint rendered = n_rendered (self);

  if (self->needs_rebuild)
    ;
  else if (position == 0 && added == 0)
    {
      /* The oldest went; those not rendered yet need nothing. */
      guint r = MIN (removed, rendered);
      guint lines = 0;

      for (guint i = 0; i < r; i++)
        lines += g_array_index (self->counts, guint, self->head + i);
      self->head += r;
      self->total_lines -= lines;
      self->pending_delete_lines += lines;
    }
  else if (position + removed == n_before)
    {
      /* At the end: new lines wait for the flush; a rendered entry that
       * changed (a config dump growing) leaves now. */
      if (removed > 0 && position < rendered)
        {
          guint lines = 0;
          GtkTextIter start, end;

          apply_pending_deletes (self);
          for (guint i = position; i < rendered; i++)
            lines += g_array_index (self->counts, guint, self->head + i);
          g_array_set_size (self->counts, self->head + position);
          self->total_lines -= lines;
          gtk_text_buffer_get_iter_at_line (self->text, &start, (int) self->total_lines);
          gtk_text_buffer_get_end_iter (self->text, &end);
          gtk_text_buffer_delete (self->text, &start, &end);
        }
    }
  else
    self->needs_rebuild = TRUE;

  queue_flush (self);
}

static void
scroll_to_end (EspyLogsView *self)
{
  GtkAdjustment *adj = gtk_scrolled_window_get_vadjustment (self->scrolled);

  self->scrolling = TRUE;
  gtk_adjustment_set_value (adj, gtk_adjustment_get_upper (adj) - gtk_adjustment_get_page_size (adj));
  self->scrolling = FALSE;
}

static void
set_following (EspyLogsView *self,
               gboolean      following)
{
  if (self->following == following)
    return;
  self->following = following;
  gtk_revealer_set_reveal_child (self->jump_revealer, !following);
  g_object_notify_by_pspec (G_OBJECT (self), props[PROP_FOLLOWING]);
}

static gboolean
follow_idle_cb (gpointer user_data)
{
  EspyLogsView *self = user_data;

  self->follow_id = 0;
  if (self->following)
    scroll_to_end (self);
  return G_SOURCE_REMOVE;
}

static void
on_adjustment_changed (GtkAdjustment *adj,
                       EspyLogsView  *self)
{
  /* New lines made the content taller: stay at the bottom while following.
   * Not from inside this signal: the text view sets the value again after
   * emitting it, from its own anchor. */
  if (self->following && self->follow_id == 0)
    self->follow_id = g_idle_add_full (G_PRIORITY_HIGH_IDLE + 30, follow_idle_cb, self, NULL);
  self->last_upper = gtk_adjustment_get_upper (adj);
  self->last_page = gtk_adjustment_get_page_size (adj);
  self->last_value = gtk_adjustment_get_value (adj);
}

static void
on_value_changed (GtkAdjustment *adj,
                  EspyLogsView  *self)
{
  double value = gtk_adjustment_get_value (adj);
  double upper = gtk_adjustment_get_upper (adj);
  double page = gtk_adjustment_get_page_size (adj);
  gboolean at_bottom = value + page >= upper - 4;
  /* The text view moves the value itself while lines come and go or the
   * view is resized; only a move up with both unchanged is the user's. */
  gboolean user_up = value < self->last_value && upper == self->last_upper && page == self->last_page;

  self->last_value = value;
  self->last_upper = upper;
  self->last_page = page;
  if (self->scrolling)
    return;
  if (at_bottom)
    set_following (self, TRUE);
  else if (user_up)
    set_following (self, FALSE);
}

/* --- session ------------------------------------------------------------------- */

static void
on_line (EspyLogSession *session,
         EspyLogLine    *line,
         const char     *raw,
         EspyLogsView   *self)
{
  espy_log_buffer_append (self->buffer, raw, line, 0);
}

static void
on_key_response (AdwMessageDialog *dialog,
                 const char       *response,
                 EspyLogsView     *self)
{
  GtkEditable *entry = g_object_get_data (G_OBJECT (dialog), "entry");
  GtkSwitch *remember = g_object_get_data (G_OBJECT (dialog), "remember");
  g_autoptr(GError) error = NULL;

  if (g_strcmp0 (response, "connect") == 0 &&
      !espy_log_session_provide_key (self->session, gtk_editable_get_text (entry),
                                     gtk_switch_get_active (remember), &error))
    {
      /* Keep the dialog with what went wrong. */
      adw_message_dialog_set_body (dialog, error->message);
      gtk_widget_add_css_class (GTK_WIDGET (entry), "error");
      g_signal_stop_emission_by_name (dialog, "response");
      gtk_window_present (GTK_WINDOW (dialog));
      return;
    }
  if (self->key_dialog == GTK_WIDGET (dialog))
    self->key_dialog = NULL;
}

static void
on_key_peek (GtkEntry             *entry,
             GtkEntryIconPosition  position,
             gpointer              user_data)
{
  gtk_entry_set_visibility (entry, !gtk_entry_get_visibility (entry));
}

/* A hidden entry with a peek icon. A plain GtkEntry: GtkPasswordEntry of
 * GTK 4.8 leaves a handler on the keyboard behind when its dialog goes away. */
static GtkWidget *
secret_entry_new (const char *placeholder,
                  const char *peek_tooltip)
{
  GtkWidget *entry = gtk_entry_new ();

  g_object_set (entry, "visibility", FALSE, "input-purpose", GTK_INPUT_PURPOSE_PASSWORD,
                "placeholder-text", placeholder, "activates-default", TRUE,
                "secondary-icon-name", "view-reveal-symbolic",
                "secondary-icon-tooltip-text", peek_tooltip, NULL);
  g_signal_connect (entry, "icon-press", G_CALLBACK (on_key_peek), NULL);
  return entry;
}

/* The prompts' common frame: ENTRIES (NULL-terminated) over a "Remember in
 * the keyring" switch, Cancel and Connect. */
static AdwMessageDialog *
secret_dialog_new (EspyLogsView *self,
                   const char   *heading,
                   const char   *reason,
                   GtkWidget    *first_entry,
                   ...)
{
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));
  AdwMessageDialog *dialog;
  GtkWidget *box, *row, *label, *remember;
  va_list args;

  dialog = ADW_MESSAGE_DIALOG (adw_message_dialog_new (GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL,
                                                       heading, reason));
  box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 12);
  va_start (args, first_entry);
  for (GtkWidget *entry = first_entry; entry != NULL; entry = va_arg (args, GtkWidget *))
    gtk_box_append (GTK_BOX (box), entry);
  va_end (args);
  row = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 12);
  label = gtk_label_new (_("Remember in the keyring"));
  gtk_widget_set_hexpand (label, TRUE);
  gtk_label_set_xalign (GTK_LABEL (label), 0);
  remember = gtk_switch_new ();
  gtk_switch_set_active (GTK_SWITCH (remember), TRUE);
  gtk_widget_set_valign (remember, GTK_ALIGN_CENTER);
  gtk_box_append (GTK_BOX (row), label);
  gtk_box_append (GTK_BOX (row), remember);
  gtk_box_append (GTK_BOX (box), row);
  adw_message_dialog_set_extra_child (dialog, box);
  adw_message_dialog_add_responses (dialog, "cancel", _("_Cancel"), "connect", _("C_onnect"), NULL);
  adw_message_dialog_set_response_appearance (dialog, "connect", ADW_RESPONSE_SUGGESTED);
  adw_message_dialog_set_default_response (dialog, "connect");
  adw_message_dialog_set_close_response (dialog, "cancel");
  g_object_set_data (G_OBJECT (dialog), "remember", remember);
  return dialog;
}

static void
show_key_dialog (EspyLogsView *self,
                 const char   *reason)
{
  AdwMessageDialog *dialog;
  GtkWidget *entry;

  if (self->key_dialog != NULL)
    {
      adw_message_dialog_set_body (ADW_MESSAGE_DIALOG (self->key_dialog), reason);
      gtk_window_present (GTK_WINDOW (self->key_dialog));
      return;
    }

  entry = secret_entry_new (_("Base64 key from the device’s YAML"), _("Show Key"));
  dialog = secret_dialog_new (self, _("API Encryption Key"), reason, entry, NULL);
  g_object_set_data (G_OBJECT (dialog), "entry", entry);
  g_signal_connect_object (dialog, "response", G_CALLBACK (on_key_response), self, 0);
  self->key_dialog = GTK_WIDGET (dialog);
  gtk_window_present (GTK_WINDOW (dialog));
  gtk_widget_grab_focus (entry);
}

static void
on_web_response (AdwMessageDialog *dialog,
                 const char       *response,
                 EspyLogsView     *self)
{
  GtkEditable *user = g_object_get_data (G_OBJECT (dialog), "user");
  GtkEditable *password = g_object_get_data (G_OBJECT (dialog), "password");
  GtkSwitch *remember = g_object_get_data (G_OBJECT (dialog), "remember");
  g_autoptr(GError) error = NULL;

  if (g_strcmp0 (response, "connect") == 0 &&
      !espy_log_session_provide_web_credentials (self->session, gtk_editable_get_text (user),
                                                 gtk_editable_get_text (password),
                                                 gtk_switch_get_active (remember), &error))
    {
      adw_message_dialog_set_body (dialog, error->message);
      gtk_widget_add_css_class (GTK_WIDGET (user), "error");
      g_signal_stop_emission_by_name (dialog, "response");
      gtk_window_present (GTK_WINDOW (dialog));
      return;
    }
  /* The text is the session's now; not left in a dying widget. */
  gtk_editable_set_text (password, "");
  if (self->web_dialog == GTK_WIDGET (dialog))
    self->web_dialog = NULL;
}

static void
on_web_user_changed (GtkEditable      *user,
                     AdwMessageDialog *dialog)
{
  gtk_widget_remove_css_class (GTK_WIDGET (user), "error");
  adw_message_dialog_set_response_enabled (dialog, "connect", gtk_editable_get_text (user)[0] != '\0');
}

static void
on_web_user_activate (GtkEntry  *user,
                      GtkWidget *password)
{
  /* Enter in the user name goes on to the password. */
  gtk_widget_grab_focus (password);
}

static void
show_web_dialog (EspyLogsView *self,
                 const char   *reason)
{
  AdwMessageDialog *dialog;
  GtkWidget *user, *password;
  const char *known_user = espy_log_session_get_web_user (self->session);

  if (reason == NULL)
    reason = self->web_reason != NULL ? self->web_reason
                                      : _("The web server asks for a user name and password.");
  if (self->web_dialog != NULL)
    {
      adw_message_dialog_set_body (ADW_MESSAGE_DIALOG (self->web_dialog), reason);
      gtk_window_present (GTK_WINDOW (self->web_dialog));
      return;
    }

  user = gtk_entry_new ();
  g_object_set (user, "placeholder-text", _("User name"), "input-purpose", GTK_INPUT_PURPOSE_FREE_FORM,
                "text", known_user != NULL ? known_user : "", NULL);
  password = secret_entry_new (_("Password"), _("Show Password"));
  dialog = secret_dialog_new (self, _("Web Server Password"), reason, user, password, NULL);
  g_object_set_data (G_OBJECT (dialog), "user", user);
  g_object_set_data (G_OBJECT (dialog), "password", password);
  g_signal_connect_object (user, "changed", G_CALLBACK (on_web_user_changed), dialog, 0);
  g_signal_connect_object (user, "activate", G_CALLBACK (on_web_user_activate), password, 0);
  on_web_user_changed (GTK_EDITABLE (user), dialog);
  g_signal_connect_object (dialog, "response", G_CALLBACK (on_web_response), self, 0);
  self->web_dialog = GTK_WIDGET (dialog);
  gtk_window_present (GTK_WINDOW (dialog));
  /* A known user name: the password is what was wrong. */
  gtk_widget_grab_focus (known_user != NULL ? password : user);
}

static void
on_credentials_needed (EspyLogSession *session,
                       const char     *reason,
                       EspyLogsView   *self)
{
  g_free (self->web_reason);
  self->web_reason = g_strdup (reason);
  if (gtk_widget_get_mapped (GTK_WIDGET (self)))
    show_web_dialog (self, reason);
}

static void
on_key_needed (EspyLogSession *session,
               const char     *reason,
               EspyLogsView   *self)
{
  if (gtk_widget_get_mapped (GTK_WIDGET (self)))
    show_key_dialog (self, reason);
}

static void
update_banner (EspyLogsView *self)
{
  EspyLogSessionState state = espy_log_session_get_state (self->session);
  const char *button = NULL;
  const char *action = NULL;

  switch (state)
    {
    case ESPY_LOG_SESSION_STATE_KEY_NEEDED:
      button = _("Enter Key…");
      action = "logs.enter-key";
      break;
    case ESPY_LOG_SESSION_STATE_FAILED:
      if (espy_log_session_get_web_credentials_needed (self->session))
        {
          button = _("Enter Password…");
          action = "logs.enter-web-credentials";
          break;
        }
      G_GNUC_FALLTHROUGH;
    case ESPY_LOG_SESSION_STATE_RECONNECTING:
    case ESPY_LOG_SESSION_STATE_IDLE:
      button = _("Retry Now");
      action = "logs.retry";
      break;
    case ESPY_LOG_SESSION_STATE_STREAMING:
    case ESPY_LOG_SESSION_STATE_CONNECTING:
    case ESPY_LOG_SESSION_STATE_PAUSED:
    default:
      break;
    }

  gtk_label_set_label (self->banner_label, espy_log_session_get_status (self->session));
  gtk_widget_set_visible (GTK_WIDGET (self->banner_button), button != NULL);
  if (button != NULL)
    {
      gtk_button_set_label (self->banner_button, button);
      gtk_actionable_set_action_name (GTK_ACTIONABLE (self->banner_button), action);
    }
  gtk_revealer_set_reveal_child (self->banner_revealer, state != ESPY_LOG_SESSION_STATE_STREAMING);
  adw_status_page_set_description (self->status_page, espy_log_session_get_status (self->session));
}

/* --- actions ------------------------------------------------------------------- */

static char *
dup_shown_text (EspyLogsView *self)
{
  return espy_log_buffer_dup_text (self->buffer, self->timestamps, self->reveal_secrets ? NULL : SECRET_MASK);
}

static void
copy_action (GtkWidget  *widget,
             const char *action_name,
             GVariant   *param)
{
  EspyLogsView *self = ESPY_LOGS_VIEW (widget);
  GtkTextIter start, end;
  g_autofree char *text = NULL;

  /* The selection if there is one, else everything shown. */
  if (gtk_text_buffer_get_selection_bounds (self->text, &start, &end))
    text = gtk_text_buffer_get_text (self->text, &start, &end, FALSE);
  else
    text = dup_shown_text (self);
  gdk_clipboard_set_text (gtk_widget_get_clipboard (widget), text);
}

static void
save_done_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(GError) error = NULL;

  if (!g_file_replace_contents_finish (G_FILE (source), result, NULL, &error))
    g_warning ("Could not save the logs: %s", error->message);
}

static void
on_save_response (GtkNativeDialog *native,
                  int              response,
                  EspyLogsView    *self)
{
  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr(GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (native));
      char *text = dup_shown_text (self);
      g_autoptr(GBytes) bytes = g_bytes_new_take (text, strlen (text));

      /* replace_contents writes a temporary file and renames it. */
      g_file_replace_contents_bytes_async (file, bytes, NULL, FALSE, G_FILE_CREATE_REPLACE_DESTINATION, NULL,
                                           save_done_cb, NULL);
    }
  g_object_unref (native);
}

static void
save_action (GtkWidget  *widget,
             const char *action_name,
             GVariant   *param)
{
  EspyLogsView *self = ESPY_LOGS_VIEW (widget);
  GtkRoot *root = gtk_widget_get_root (widget);
  GtkFileChooserNative *native;
  g_autofree char *name = g_strdup_printf ("%s-logs.txt", espy_log_session_get_name (self->session));

  native = gtk_file_chooser_native_new (_("Save Logs"), GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL,
                                        GTK_FILE_CHOOSER_ACTION_SAVE, _("_Save"), _("_Cancel"));
  gtk_file_chooser_set_current_name (GTK_FILE_CHOOSER (native), name);
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (native), TRUE);
  g_signal_connect_object (native, "response", G_CALLBACK (on_save_response), self, 0);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (native));
}

static void
clear_action (GtkWidget  *widget,
              const char *action_name,
              GVariant   *param)
{
  espy_log_buffer_clear (ESPY_LOGS_VIEW (widget)->buffer);
}

static void
jump_action (GtkWidget  *widget,
             const char *action_name,
             GVariant   *param)
{
  EspyLogsView *self = ESPY_LOGS_VIEW (widget);

  set_following (self, TRUE);
  scroll_to_end (self);
}

/* Moves to the next (or previous) match from the current one. */
static void
find_match (EspyLogsView *self,
            gboolean      forward)
{
  GtkTextIter from, start, end, limit;
  gboolean found;

  if (self->search == NULL)
    return;
  flush (self);
  gtk_text_buffer_get_iter_at_mark (self->text, &from, self->match_mark);
  if (forward)
    found = gtk_text_iter_forward_search (&from, self->search, GTK_TEXT_SEARCH_CASE_INSENSITIVE,
                                          &start, &end, NULL);
  else
    {
      GtkTextIter back = from;

      /* Skip the match we are on. */
      gtk_text_iter_backward_char (&back);
      found = gtk_text_iter_backward_search (&back, self->search, GTK_TEXT_SEARCH_CASE_INSENSITIVE,
                                             &start, &end, NULL);
    }
  if (!found)
    {
      /* Wrap around. */
      if (forward)
        gtk_text_buffer_get_start_iter (self->text, &limit);
      else
        gtk_text_buffer_get_end_iter (self->text, &limit);
      found = forward
              ? gtk_text_iter_forward_search (&limit, self->search, GTK_TEXT_SEARCH_CASE_INSENSITIVE,
                                              &start, &end, NULL)
              : gtk_text_iter_backward_search (&limit, self->search, GTK_TEXT_SEARCH_CASE_INSENSITIVE,
                                               &start, &end, NULL);
    }
  if (!found)
    return;

  gtk_text_buffer_get_bounds (self->text, &from, &limit);
  gtk_text_buffer_remove_tag_by_name (self->text, "match-current", &from, &limit);
  gtk_text_buffer_apply_tag_by_name (self->text, "match-current", &start, &end);
  gtk_text_buffer_move_mark (self->text, self->match_mark, forward ? &end : &start);
  /* Looking at a match is not following the newest line. */
  set_following (self, FALSE);
  gtk_text_view_scroll_to_mark (self->text_view, self->match_mark, 0.1, FALSE, 0, 0);
}

static void
search_next_action (GtkWidget  *widget,
                    const char *action_name,
                    GVariant   *param)
{
  find_match (ESPY_LOGS_VIEW (widget), TRUE);
}

static void
search_previous_action (GtkWidget  *widget,
                        const char *action_name,
                        GVariant   *param)
{
  find_match (ESPY_LOGS_VIEW (widget), FALSE);
}

static void
retry_action (GtkWidget  *widget,
              const char *action_name,
              GVariant   *param)
{
  espy_log_session_retry_now (ESPY_LOGS_VIEW (widget)->session);
}

static void
enter_key_action (GtkWidget  *widget,
                  const char *action_name,
                  GVariant   *param)
{
  EspyLogsView *self = ESPY_LOGS_VIEW (widget);

  show_key_dialog (self, _("The device uses encryption. Enter its API encryption key."));
}

static void
enter_web_credentials_action (GtkWidget  *widget,
                              const char *action_name,
                              GVariant   *param)
{
  show_web_dialog (ESPY_LOGS_VIEW (widget), NULL);
}

/* --- search and filters -------------------------------------------------------- */

guint
espy_logs_view_search (EspyLogsView *self,
                       const char   *text)
{
  g_autofree char *wanted = NULL;

  g_return_val_if_fail (ESPY_IS_LOGS_VIEW (self), 0);

  /* TEXT may be self->search itself. */
  wanted = text != NULL && text[0] != '\0' ? g_strdup (text) : NULL;
  flush (self);
  if (g_strcmp0 (gtk_editable_get_text (GTK_EDITABLE (self->search_entry)), wanted != NULL ? wanted : "") != 0)
    {
      /* The entry's ::search-changed comes back here. */
      gtk_editable_set_text (GTK_EDITABLE (self->search_entry), wanted != NULL ? wanted : "");
    }
  g_free (self->search);
  self->search = g_steal_pointer (&wanted);
  if (gtk_toggle_button_get_active (self->only_matches_toggle))
    espy_log_buffer_set_search (self->buffer, self->search);

  /* Highlight anew. */
  {
    GtkTextIter start, end;

    gtk_text_buffer_get_bounds (self->text, &start, &end);
    gtk_text_buffer_remove_tag_by_name (self->text, "match", &start, &end);
    gtk_text_buffer_remove_tag_by_name (self->text, "match-current", &start, &end);
    gtk_text_buffer_move_mark (self->text, self->match_mark, &start);
    self->n_matches = 0;
    while (self->search != NULL &&
           gtk_text_iter_forward_search (&start, self->search, GTK_TEXT_SEARCH_CASE_INSENSITIVE, &start,
                                         &end, NULL))
      {
        gtk_text_buffer_apply_tag_by_name (self->text, "match", &start, &end);
        self->n_matches++;
        start = end;
      }
  }
  update_match_label (self);
  return self->n_matches;
}

static void
on_search_changed (GtkSearchEntry *entry,
                   EspyLogsView   *self)
{
  espy_logs_view_search (self, gtk_editable_get_text (GTK_EDITABLE (entry)));
}

static void
on_search_activate (GtkSearchEntry *entry,
                    EspyLogsView   *self)
{
  find_match (self, TRUE);
}

static void
on_only_matches_toggled (GtkToggleButton *toggle,
                         EspyLogsView    *self)
{
  espy_log_buffer_set_search (self->buffer, gtk_toggle_button_get_active (toggle) ? self->search : NULL);
}

static void
on_level_selected (GtkDropDown  *dropdown,
                   GParamSpec   *pspec,
                   EspyLogsView *self)
{
  guint selected = gtk_drop_down_get_selected (dropdown);

  if (selected == GTK_INVALID_LIST_POSITION)
    return;
  espy_log_buffer_set_max_level (self->buffer, (EspyLogLevel) (ESPY_LOG_LEVEL_VERY_VERBOSE - selected));
}

void
espy_logs_view_set_max_level (EspyLogsView *self,
                              EspyLogLevel  level)
{
  g_return_if_fail (ESPY_IS_LOGS_VIEW (self));

  if (level == ESPY_LOG_LEVEL_NONE || level > ESPY_LOG_LEVEL_VERY_VERBOSE)
    level = ESPY_LOG_LEVEL_VERY_VERBOSE;
  gtk_drop_down_set_selected (self->level_dropdown, ESPY_LOG_LEVEL_VERY_VERBOSE - level);
}

void
espy_logs_view_set_timestamps (EspyLogsView *self,
                               gboolean      timestamps)
{
  g_return_if_fail (ESPY_IS_LOGS_VIEW (self));

  timestamps = !!timestamps;
  if (self->timestamps == timestamps)
    return;
  self->timestamps = timestamps;
  rebuild (self);
  espy_logs_view_search (self, self->search);
  g_object_notify_by_pspec (G_OBJECT (self), props[PROP_TIMESTAMPS]);
}

void
espy_logs_view_set_reveal_secrets (EspyLogsView *self,
                                   gboolean      reveal)
{
  g_return_if_fail (ESPY_IS_LOGS_VIEW (self));

  reveal = !!reveal;
  if (self->reveal_secrets == reveal)
    return;
  self->reveal_secrets = reveal;
  rebuild (self);
  espy_logs_view_search (self, self->search);
  g_object_notify_by_pspec (G_OBJECT (self), props[PROP_REVEAL_SECRETS]);
}

/* --- public -------------------------------------------------------------------- */

EspyLogSession *
espy_logs_view_get_session (EspyLogsView *self)
{
  g_return_val_if_fail (ESPY_IS_LOGS_VIEW (self), NULL);
  return self->session;
}

EspyLogBuffer *
espy_logs_view_get_buffer (EspyLogsView *self)
{
  g_return_val_if_fail (ESPY_IS_LOGS_VIEW (self), NULL);
  return self->buffer;
}

GtkTextView *
espy_logs_view_get_text_view (EspyLogsView *self)
{
  g_return_val_if_fail (ESPY_IS_LOGS_VIEW (self), NULL);
  return self->text_view;
}

gboolean
espy_logs_view_get_following (EspyLogsView *self)
{
  g_return_val_if_fail (ESPY_IS_LOGS_VIEW (self), FALSE);
  return self->following;
}

GtkWidget *
espy_logs_view_new_for_session (EspyLogSession *session,
                                guint           max_lines)
{
  g_return_val_if_fail (ESPY_IS_LOG_SESSION (session), NULL);

  return g_object_new (ESPY_TYPE_LOGS_VIEW, "session", session,
                       "max-lines", max_lines != 0 ? max_lines : ESPY_LOG_BUFFER_DEFAULT_MAX_LINES, NULL);
}

GtkWidget *
espy_logs_view_new (EspyDevice *device)
{
  g_autoptr(EspyLogSession) session = NULL;
  GApplication *app = g_application_get_default ();
  guint max_lines = 0;

  g_return_val_if_fail (ESPY_IS_DEVICE (device), NULL);

  session = espy_log_session_new_for_device (device);
  if (ESPY_IS_APPLICATION (app))
    {
      EspyApplication *espy = ESPY_APPLICATION (app);
      EspyConfigFolder *folder = espy_application_get_config_folder (espy);
      GSettings *settings = espy_application_get_settings (espy);
      const char *path = espy_device_get_config_path (device);

      if (folder != NULL && path != NULL)
        {
          g_autoptr(GFile) file = g_file_new_for_path (path);

          espy_log_session_set_config (session, espy_config_folder_lookup_file (folder, file));
        }
      espy_log_session_set_install_manager (session, G_OBJECT (espy_application_get_install_manager (espy)));
      espy_application_watch_log_session (espy, session);
      if (settings != NULL)
        max_lines = (guint) MAX (1, g_settings_get_int (settings, "log-buffer-lines"));
    }
  return espy_logs_view_new_for_session (session, max_lines);
}

/* --- GObject ------------------------------------------------------------------- */

static void
espy_logs_view_map (GtkWidget *widget)
{
  EspyLogsView *self = ESPY_LOGS_VIEW (widget);

  GTK_WIDGET_CLASS (espy_logs_view_parent_class)->map (widget);
  watch_frames (self, TRUE);
  queue_flush (self);
  /* Devices allow few API clients: only a shown view holds one. */
  espy_log_session_start (self->session);
  if (espy_log_session_get_state (self->session) == ESPY_LOG_SESSION_STATE_KEY_NEEDED)
    show_key_dialog (self, _("The device uses encryption. Enter its API encryption key."));
  else if (espy_log_session_get_web_credentials_needed (self->session))
    show_web_dialog (self, NULL);
}

static void
espy_logs_view_unmap (GtkWidget *widget)
{
  EspyLogsView *self = ESPY_LOGS_VIEW (widget);

  espy_log_session_stop (self->session);
  watch_frames (self, FALSE);
  GTK_WIDGET_CLASS (espy_logs_view_parent_class)->unmap (widget);
}

static void
espy_logs_view_constructed (GObject *object)
{
  EspyLogsView *self = ESPY_LOGS_VIEW (object);
  GtkAdjustment *adj = gtk_scrolled_window_get_vadjustment (self->scrolled);

  G_OBJECT_CLASS (espy_logs_view_parent_class)->constructed (object);

  g_assert (self->session != NULL);
  self->buffer = espy_log_buffer_new (self->max_lines);
  g_signal_connect_object (self->buffer, "items-changed", G_CALLBACK (on_items_changed), self, 0);
  g_signal_connect_object (self->session, "line", G_CALLBACK (on_line), self, 0);
  g_signal_connect_object (self->session, "key-needed", G_CALLBACK (on_key_needed), self, 0);
  g_signal_connect_object (self->session, "credentials-needed", G_CALLBACK (on_credentials_needed), self, 0);
  g_signal_connect_object (self->session, "notify::status", G_CALLBACK (update_banner), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->session, "notify::state", G_CALLBACK (update_banner), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (adj, "changed", G_CALLBACK (on_adjustment_changed), self, 0);
  g_signal_connect_object (adj, "value-changed", G_CALLBACK (on_value_changed), self, 0);
  update_banner (self);
  update_stack (self);
}

static void
espy_logs_view_dispose (GObject *object)
{
  EspyLogsView *self = ESPY_LOGS_VIEW (object);

  if (self->session != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->session, self);
      espy_log_session_stop (self->session);
    }
  g_clear_handle_id (&self->follow_id, g_source_remove);
  g_clear_handle_id (&self->flush_id, g_source_remove);
  watch_frames (self, FALSE);
  if (self->key_dialog != NULL)
    gtk_window_destroy (GTK_WINDOW (self->key_dialog));
  self->key_dialog = NULL;
  if (self->web_dialog != NULL)
    gtk_window_destroy (GTK_WINDOW (self->web_dialog));
  self->web_dialog = NULL;
  gtk_widget_dispose_template (GTK_WIDGET (self), ESPY_TYPE_LOGS_VIEW);
  G_OBJECT_CLASS (espy_logs_view_parent_class)->dispose (object);
}

static void
espy_logs_view_finalize (GObject *object)
{
  EspyLogsView *self = ESPY_LOGS_VIEW (object);

  g_clear_object (&self->session);
  g_clear_object (&self->buffer);
  g_array_unref (self->counts);
  g_free (self->search);
  g_free (self->web_reason);
  G_OBJECT_CLASS (espy_logs_view_parent_class)->finalize (object);
}

static void
espy_logs_view_get_property (GObject    *object,
                             guint       prop_id,
                             GValue     *value,
                             GParamSpec *pspec)
{
  EspyLogsView *self = ESPY_LOGS_VIEW (object);

  switch (prop_id)
    {
    case PROP_SESSION:
      g_value_set_object (value, self->session);
      break;
    case PROP_BUFFER:
      g_value_set_object (value, self->buffer);
      break;
    case PROP_FOLLOWING:
      g_value_set_boolean (value, self->following);
      break;
    case PROP_TIMESTAMPS:
      g_value_set_boolean (value, self->timestamps);
      break;
    case PROP_REVEAL_SECRETS:
      g_value_set_boolean (value, self->reveal_secrets);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
espy_logs_view_set_property (GObject      *object,
                             guint         prop_id,
                             const GValue *value,
                             GParamSpec   *pspec)
{
  EspyLogsView *self = ESPY_LOGS_VIEW (object);

  switch (prop_id)
    {
    case PROP_SESSION:
      self->session = g_value_dup_object (value);
      break;
    case PROP_TIMESTAMPS:
      espy_logs_view_set_timestamps (self, g_value_get_boolean (value));
      break;
    case PROP_REVEAL_SECRETS:
      espy_logs_view_set_reveal_secrets (self, g_value_get_boolean (value));
      break;
    case N_PROPS:
      /* "max-lines", construct-only, installed apart. */
      self->max_lines = g_value_get_uint (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
espy_logs_view_class_init (EspyLogsViewClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->constructed = espy_logs_view_constructed;
  object_class->dispose = espy_logs_view_dispose;
  object_class->finalize = espy_logs_view_finalize;
  object_class->get_property = espy_logs_view_get_property;
  object_class->set_property = espy_logs_view_set_property;
  widget_class->map = espy_logs_view_map;
  widget_class->unmap = espy_logs_view_unmap;

  props[PROP_SESSION] =
    g_param_spec_object ("session", NULL, NULL, ESPY_TYPE_LOG_SESSION,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  props[PROP_BUFFER] =
    g_param_spec_object ("buffer", NULL, NULL, ESPY_TYPE_LOG_BUFFER, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  props[PROP_FOLLOWING] =
    g_param_spec_boolean ("following", NULL, NULL, TRUE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  props[PROP_TIMESTAMPS] =
    g_param_spec_boolean ("timestamps", NULL, NULL, FALSE,
                          G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  props[PROP_REVEAL_SECRETS] =
    g_param_spec_boolean ("reveal-secrets", NULL, NULL, FALSE,
                          G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, props);
  g_object_class_install_property (object_class, N_PROPS,
                                   g_param_spec_uint ("max-lines", NULL, NULL, 1, G_MAXUINT,
                                                      ESPY_LOG_BUFFER_DEFAULT_MAX_LINES,
                                                      G_PARAM_WRITABLE | G_PARAM_CONSTRUCT_ONLY |
                                                      G_PARAM_STATIC_STRINGS));

  gtk_widget_class_set_template_from_resource (widget_class, "/io/github/espy/Espy/espy-logs-view.ui");
  gtk_widget_class_bind_template_child (widget_class, EspyLogsView, banner_revealer);
  gtk_widget_class_bind_template_child (widget_class, EspyLogsView, banner_label);
  gtk_widget_class_bind_template_child (widget_class, EspyLogsView, banner_button);
  gtk_widget_class_bind_template_child (widget_class, EspyLogsView, level_dropdown);
  gtk_widget_class_bind_template_child (widget_class, EspyLogsView, search_entry);
  gtk_widget_class_bind_template_child (widget_class, EspyLogsView, match_label);
  gtk_widget_class_bind_template_child (widget_class, EspyLogsView, only_matches_toggle);
  gtk_widget_class_bind_template_child (widget_class, EspyLogsView, stack);
  gtk_widget_class_bind_template_child (widget_class, EspyLogsView, status_page);
  gtk_widget_class_bind_template_child (widget_class, EspyLogsView, scrolled);
  gtk_widget_class_bind_template_child (widget_class, EspyLogsView, text_view);
  gtk_widget_class_bind_template_child (widget_class, EspyLogsView, jump_revealer);

  gtk_widget_class_install_action (widget_class, "logs.copy", NULL, copy_action);
  gtk_widget_class_install_action (widget_class, "logs.save", NULL, save_action);
  gtk_widget_class_install_action (widget_class, "logs.clear", NULL, clear_action);
  gtk_widget_class_install_action (widget_class, "logs.jump-to-bottom", NULL, jump_action);
  gtk_widget_class_install_action (widget_class, "logs.search-next", NULL, search_next_action);
  gtk_widget_class_install_action (widget_class, "logs.search-previous", NULL, search_previous_action);
  gtk_widget_class_install_action (widget_class, "logs.retry", NULL, retry_action);
  gtk_widget_class_install_action (widget_class, "logs.enter-key", NULL, enter_key_action);
  gtk_widget_class_install_action (widget_class, "logs.enter-web-credentials", NULL,
                                   enter_web_credentials_action);
  gtk_widget_class_install_property_action (widget_class, "logs.timestamps", "timestamps");
  gtk_widget_class_install_property_action (widget_class, "logs.reveal-secrets", "reveal-secrets");

  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_g, GDK_CONTROL_MASK, "logs.search-next", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_g, GDK_CONTROL_MASK | GDK_SHIFT_MASK,
                                       "logs.search-previous", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_End, GDK_CONTROL_MASK, "logs.jump-to-bottom", NULL);
}

static void
espy_logs_view_init (EspyLogsView *self)
{
  GtkTextIter start;

  gtk_widget_init_template (GTK_WIDGET (self));
  self->counts = g_array_new (FALSE, FALSE, sizeof (guint));
  self->following = TRUE;
  self->max_lines = ESPY_LOG_BUFFER_DEFAULT_MAX_LINES;
  self->text = gtk_text_view_get_buffer (self->text_view);
  /* Read-only text: an undo history would keep every dropped line. */
  gtk_text_buffer_set_enable_undo (self->text, FALSE);

  for (guint i = 0; i < G_N_ELEMENTS (palette); i++)
    {
      g_autofree char *name = g_strdup_printf ("fg-%u", palette[i].sgr);

      gtk_text_buffer_create_tag (self->text, name, "foreground", palette[i].colour, NULL);
    }
  gtk_text_buffer_create_tag (self->text, "bold", "weight", PANGO_WEIGHT_BOLD, NULL);
  gtk_text_buffer_create_tag (self->text, "timestamp", "foreground", "#77767b", NULL);
  gtk_text_buffer_create_tag (self->text, "secret", "background", "rgba(153,153,153,0.25)", NULL);
  gtk_text_buffer_create_tag (self->text, "match", "background", "rgba(246,211,45,0.45)", NULL);
  gtk_text_buffer_create_tag (self->text, "match-current", "background", "#f6d32d", "foreground", "#000000",
                              NULL);
  gtk_text_buffer_get_start_iter (self->text, &start);
  self->match_mark = gtk_text_buffer_create_mark (self->text, NULL, &start, TRUE);

  g_signal_connect_object (self->search_entry, "search-changed", G_CALLBACK (on_search_changed), self, 0);
  g_signal_connect_object (self->search_entry, "activate", G_CALLBACK (on_search_activate), self, 0);
  g_signal_connect_object (self->only_matches_toggle, "toggled", G_CALLBACK (on_only_matches_toggled), self, 0);
  g_signal_connect_object (self->level_dropdown, "notify::selected", G_CALLBACK (on_level_selected), self, 0);
}
