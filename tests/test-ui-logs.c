/* test-ui-logs.c: the logs view on a real X server (Xvfb): colours as
 * text tags (never raw escapes), secrets hidden until revealed, the level
 * filter, search with highlight and next/previous, autoscroll that pauses
 * when the user scrolls up, the bounded buffer, and a live stream from the
 * simulator's web server with the connection banner. With
 * $ESPY_SCREENSHOTS_DIR set, the main states are saved there as PNG files.
 *
 * Copyright 2026 The Espy authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <adwaita.h>
#include <string.h>

#include "espy-event-stream.h"
#include "espy-logs-view.h"
#include "espy-secrets.h"
#include "espy-sim-web-server.h"

#define ESC "\033"

static GtkWindow *window;

/* --- helpers -------------------------------------------------------------- */

static gboolean
wake_cb (gpointer data)
{
  *(gboolean *) data = TRUE;
  return G_SOURCE_REMOVE;
}

static void
spin (guint ms)
{
  gboolean done = FALSE;

  g_timeout_add (ms, wake_cb, &done);
  while (!done)
    g_main_context_iteration (NULL, TRUE);
}

#define WAIT_UNTIL(cond, timeout_ms)                                      \
  G_STMT_START {                                                           \
    gboolean timed_out_ = FALSE;                                           \
    guint id_ = g_timeout_add ((timeout_ms), wake_cb, &timed_out_);        \
    while (!(cond) && !timed_out_)                                         \
      g_main_context_iteration (NULL, TRUE);                               \
    if (!timed_out_)                                                       \
      g_source_remove (id_);                                               \
    if (!(cond))                                                           \
      g_error ("timed out waiting for %s", #cond);                         \
  } G_STMT_END

static void
frame_cb (GdkFrameClock *clock,
          gpointer       data)
{
  *(gboolean *) data = TRUE;
}

/* Lets layout, transitions and a frame happen. */
static void
settle (guint ms)
{
  GdkFrameClock *clock = gtk_widget_get_frame_clock (GTK_WIDGET (window));
  gboolean drawn = FALSE;
  gulong id;

  spin (ms);
  if (clock == NULL)
    return;
  id = g_signal_connect (clock, "after-paint", G_CALLBACK (frame_cb), &drawn);
  gtk_widget_queue_draw (GTK_WIDGET (window));
  WAIT_UNTIL (drawn, 2000);
  g_signal_handler_disconnect (clock, id);
}

static void
save_widget_screenshot (GtkWidget  *widget,
                        const char *name)
{
  const char *dir = g_getenv ("ESPY_SCREENSHOTS_DIR");
  g_autoptr(GdkPaintable) paintable = NULL;
  g_autoptr(GskRenderNode) node = NULL;
  g_autoptr(GdkTexture) texture = NULL;
  g_autofree char *file_name = NULL;
  g_autofree char *path = NULL;
  GtkSnapshot *snapshot;
  int width, height;

  if (dir == NULL || *dir == '\0')
    return;
  settle (300);
  width = gtk_widget_get_width (widget);
  height = gtk_widget_get_height (widget);
  paintable = gtk_widget_paintable_new (widget);
  snapshot = gtk_snapshot_new ();
  gdk_paintable_snapshot (paintable, snapshot, width, height);
  node = gtk_snapshot_free_to_node (snapshot);
  g_assert_nonnull (node);
  texture = gsk_renderer_render_texture (gtk_native_get_renderer (gtk_widget_get_native (widget)), node,
                                         &GRAPHENE_RECT_INIT (0, 0, width, height));
  g_mkdir_with_parents (dir, 0755);
  file_name = g_strconcat ("logs-", name, ".png", NULL);
  path = g_build_filename (dir, file_name, NULL);
  g_assert_true (gdk_texture_save_to_png (texture, path));
  g_test_message ("screenshot: %s", path);
}

static void
save_screenshot (const char *name)
{
  save_widget_screenshot (GTK_WIDGET (window), name);
}

static char *
fmt (char        level,
     const char *tag,
     guint       line,
     const char *text)
{
  const char *colour = "0;38";

  switch (level)
    {
    case 'E': colour = "1;31"; break;
    case 'W': colour = "0;33"; break;
    case 'I': colour = "0;32"; break;
    case 'C': colour = "0;35"; break;
    case 'D': colour = "0;36"; break;
    case 'V': colour = "0;37"; break;
    default: break;
    }
  return g_strdup_printf (ESC "[%sm[%c][%s:%03u]: %s" ESC "[0m", colour, level, tag, line, text);
}

static void
add (EspyLogsView *view,
     char          level,
     const char   *tag,
     const char   *text)
{
  g_autofree char *raw = fmt (level, tag, 42, text);

  espy_log_buffer_append (espy_logs_view_get_buffer (view), raw, NULL, 0);
}

/* A view of a session nobody starts (its host refuses), in the window. */
static EspyLogsView *
show_view (guint max_lines)
{
  g_autoptr(EspyLogSession) session = espy_log_session_new ("kitchen", "127.0.0.1", 1);
  GtkWidget *view;

  espy_log_session_set_use_keyring (session, FALSE);
  /* A long first delay: the banner stays put while the test looks. */
  espy_log_session_set_backoff (session, 60000, 60000);
  view = espy_logs_view_new_for_session (session, max_lines);
  gtk_window_set_child (window, view);
  settle (50);
  return ESPY_LOGS_VIEW (view);
}

/* The view renders once per main loop turn: let it. */
static void
drain (void)
{
  while (g_main_context_iteration (NULL, FALSE))
    ;
}

static char *
view_text (EspyLogsView *view)
{
  GtkTextBuffer *text = gtk_text_view_get_buffer (espy_logs_view_get_text_view (view));
  GtkTextIter start, end;

  drain ();
  gtk_text_buffer_get_bounds (text, &start, &end);
  return gtk_text_buffer_get_text (text, &start, &end, FALSE);
}

static gboolean
view_contains (EspyLogsView *view,
               const char   *needle)
{
  g_autofree char *text = view_text (view);

  return strstr (text, needle) != NULL;
}

static gboolean
has_tag_at (EspyLogsView *view,
            int           line,
            int           offset,
            const char   *tag_name)
{
  GtkTextBuffer *text = gtk_text_view_get_buffer (espy_logs_view_get_text_view (view));
  GtkTextTag *tag = gtk_text_tag_table_lookup (gtk_text_buffer_get_tag_table (text), tag_name);
  GtkTextIter iter;

  drain ();
  g_assert_nonnull (tag);
  gtk_text_buffer_get_iter_at_line_offset (text, &iter, line, offset);
  return gtk_text_iter_has_tag (&iter, tag);
}

static int
count_tagged (EspyLogsView *view,
              const char   *tag_name)
{
  GtkTextBuffer *text = gtk_text_view_get_buffer (espy_logs_view_get_text_view (view));
  GtkTextTag *tag = gtk_text_tag_table_lookup (gtk_text_buffer_get_tag_table (text), tag_name);
  GtkTextIter iter;
  int n = 0;

  drain ();
  gtk_text_buffer_get_start_iter (text, &iter);
  while (gtk_text_iter_forward_to_tag_toggle (&iter, tag))
    if (gtk_text_iter_starts_tag (&iter, tag))
      n++;
  return n;
}

/* --- tests ---------------------------------------------------------------- */

static void
test_colours (void)
{
  EspyLogsView *view = show_view (0);
  g_autofree char *text = NULL;

  add (view, 'E', "ota", "Update failed");
  add (view, 'W', "wifi", "Weak signal");
  add (view, 'I', "app", "Running");
  add (view, 'D', "sensor", "Connected to " ESC "[5mhome-net" ESC "[6m now");
  add (view, 'C', "wifi", "WiFi:");
  add (view, 'C', "wifi", "  SSID: " ESC "[5mhome-net" ESC "[6m");
  add (view, 'V', "scheduler", "tick");
  espy_log_buffer_append (espy_logs_view_get_buffer (view), "rst:0x1 (POWERON_RESET)", NULL, 0);

  text = view_text (view);
  /* Never a raw escape; secrets masked; the dump is one block. */
  g_assert_null (strchr (text, '\033'));
  g_assert_null (strstr (text, "home-net"));
  g_assert_cmpstr (text, ==,
                   "[E][ota:042]: Update failed\n"
                   "[W][wifi:042]: Weak signal\n"
                   "[I][app:042]: Running\n"
                   "[D][sensor:042]: Connected to •••• now\n"
                   "[C][wifi:042]: WiFi:\n  SSID: ••••\n"
                   "[V][scheduler:042]: tick\n"
                   "rst:0x1 (POWERON_RESET)\n");
  g_assert_true (has_tag_at (view, 0, 1, "fg-31"));
  g_assert_true (has_tag_at (view, 0, 20, "bold"));
  g_assert_true (has_tag_at (view, 1, 1, "fg-33"));
  g_assert_false (has_tag_at (view, 1, 1, "bold"));
  g_assert_true (has_tag_at (view, 2, 20, "fg-32"));
  g_assert_true (has_tag_at (view, 3, 32, "secret"));
  g_assert_true (has_tag_at (view, 4, 3, "fg-35"));
  g_assert_true (has_tag_at (view, 5, 4, "fg-35"));
  g_assert_true (has_tag_at (view, 6, 3, "fg-37"));
  g_assert_false (has_tag_at (view, 7, 3, "fg-37"));
  g_assert_cmpint (count_tagged (view, "secret"), ==, 2);
  save_screenshot ("colours");

  /* Reveal, and timestamps. */
  espy_logs_view_set_reveal_secrets (view, TRUE);
  g_clear_pointer (&text, g_free);
  text = view_text (view);
  g_assert_nonnull (strstr (text, "Connected to home-net now"));
  g_assert_true (has_tag_at (view, 3, 32, "secret"));
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (view), "logs.timestamps", NULL));
  g_clear_pointer (&text, g_free);
  text = view_text (view);
  g_assert_true (g_regex_match_simple ("^\\d\\d:\\d\\d:\\d\\d\\.\\d{3} \\[E\\]\\[ota:042\\]", text,
                                       G_REGEX_MULTILINE, 0));
  g_assert_true (has_tag_at (view, 0, 2, "timestamp"));
  save_screenshot ("revealed-timestamps");
}

static void
test_filter (void)
{
  EspyLogsView *view = show_view (0);
  g_autofree char *text = NULL;
  static const char levels[] = "EWICDV";

  for (guint i = 0; i < 60; i++)
    {
      g_autofree char *msg = g_strdup_printf ("message %u", i);

      add (view, levels[i % 6], "filter", msg);
    }
  espy_logs_view_set_max_level (view, ESPY_LOG_LEVEL_WARN);
  g_assert_cmpint (espy_log_buffer_get_max_level (espy_logs_view_get_buffer (view)), ==, ESPY_LOG_LEVEL_WARN);
  text = view_text (view);
  g_assert_null (strstr (text, "[I]"));
  g_assert_null (strstr (text, "[D]"));
  g_assert_nonnull (strstr (text, "[E][filter:042]: message 0\n[W][filter:042]: message 1\n[E][filter:042]: message 6\n"));
  /* New lines go through the filter too. */
  add (view, 'D', "filter", "hidden debug");
  add (view, 'E', "filter", "shown error");
  g_clear_pointer (&text, g_free);
  text = view_text (view);
  g_assert_null (strstr (text, "hidden debug"));
  g_assert_true (g_str_has_suffix (text, "shown error\n"));
  save_screenshot ("filter-warn");

  espy_logs_view_set_max_level (view, ESPY_LOG_LEVEL_VERY_VERBOSE);
  g_clear_pointer (&text, g_free);
  text = view_text (view);
  g_assert_nonnull (strstr (text, "hidden debug"));
}

static void
test_search (void)
{
  EspyLogsView *view = show_view (0);
  GtkTextView *text_view = espy_logs_view_get_text_view (view);
  GtkTextBuffer *text = gtk_text_view_get_buffer (text_view);
  GtkTextTag *current = gtk_text_tag_table_lookup (gtk_text_buffer_get_tag_table (text), "match-current");
  GtkTextIter iter;
  g_auto(GStrv) shown = NULL;
  g_autofree char *all = NULL;
  int first_line, second_line;

  for (guint i = 0; i < 200; i++)
    {
      g_autofree char *msg = g_strdup_printf (i % 50 == 7 ? "Temperature SENSOR %u" : "other line %u", i);

      add (view, 'D', i % 50 == 7 ? "temp" : "misc", msg);
    }
  settle (100);
  g_assert_cmpuint (espy_logs_view_search (view, "sensor"), ==, 4);
  g_assert_cmpint (count_tagged (view, "match"), ==, 4);

  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (view), "logs.search-next", NULL));
  gtk_text_buffer_get_start_iter (text, &iter);
  g_assert_true (gtk_text_iter_forward_to_tag_toggle (&iter, current));
  first_line = gtk_text_iter_get_line (&iter);
  g_assert_cmpint (first_line, ==, 7);
  /* Looking at a match stops following. */
  g_assert_false (espy_logs_view_get_following (view));
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (view), "logs.search-next", NULL));
  gtk_text_buffer_get_start_iter (text, &iter);
  g_assert_true (gtk_text_iter_forward_to_tag_toggle (&iter, current));
  second_line = gtk_text_iter_get_line (&iter);
  g_assert_cmpint (second_line, ==, 57);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (view), "logs.search-previous", NULL));
  gtk_text_buffer_get_start_iter (text, &iter);
  g_assert_true (gtk_text_iter_forward_to_tag_toggle (&iter, current));
  g_assert_cmpint (gtk_text_iter_get_line (&iter), ==, 7);
  /* Backwards from the first wraps to the last. */
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (view), "logs.search-previous", NULL));
  gtk_text_buffer_get_start_iter (text, &iter);
  g_assert_true (gtk_text_iter_forward_to_tag_toggle (&iter, current));
  g_assert_cmpint (gtk_text_iter_get_line (&iter), ==, 157);

  /* New lines that match are highlighted as they come. */
  add (view, 'W', "x", "late sensor reading");
  g_assert_cmpint (count_tagged (view, "match"), ==, 5);
  save_screenshot ("search");

  /* Only the matching lines. */
  espy_log_buffer_set_search (espy_logs_view_get_buffer (view), "sensor");
  all = view_text (view);
  shown = g_strsplit (all, "\n", -1);
  g_assert_cmpuint (g_strv_length (shown), ==, 5 + 1);

  g_assert_cmpuint (espy_logs_view_search (view, ""), ==, 0);
  g_assert_cmpint (count_tagged (view, "match"), ==, 0);
}

static gboolean
at_bottom (EspyLogsView *view)
{
  GtkWidget *scrolled = gtk_widget_get_parent (GTK_WIDGET (espy_logs_view_get_text_view (view)));
  GtkAdjustment *adj = gtk_scrolled_window_get_vadjustment (GTK_SCROLLED_WINDOW (scrolled));

  return gtk_adjustment_get_value (adj) + gtk_adjustment_get_page_size (adj) >= gtk_adjustment_get_upper (adj) - 4;
}

static void
test_autoscroll (void)
{
  EspyLogsView *view = show_view (0);
  GtkWidget *scrolled = gtk_widget_get_parent (GTK_WIDGET (espy_logs_view_get_text_view (view)));
  GtkAdjustment *adj = gtk_scrolled_window_get_vadjustment (GTK_SCROLLED_WINDOW (scrolled));

  for (guint i = 0; i < 400; i++)
    {
      g_autofree char *msg = g_strdup_printf ("line %u", i);

      add (view, 'I', "scroll", msg);
    }
  settle (200);
  g_assert_true (espy_logs_view_get_following (view));
  g_assert_cmpfloat (gtk_adjustment_get_upper (adj), >, gtk_adjustment_get_page_size (adj));
  WAIT_UNTIL (at_bottom (view), 3000);

  /* The user scrolls up: following pauses, new lines do not move the view. */
  gtk_adjustment_set_value (adj, 0);
  g_assert_false (espy_logs_view_get_following (view));
  for (guint i = 0; i < 50; i++)
    add (view, 'I', "scroll", "more");
  settle (200);
  g_assert_cmpfloat (gtk_adjustment_get_value (adj), ==, 0);
  g_assert_false (at_bottom (view));
  save_screenshot ("paused");

  /* Jump to bottom resumes. */
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (view), "logs.jump-to-bottom", NULL));
  g_assert_true (espy_logs_view_get_following (view));
  for (guint i = 0; i < 50; i++)
    add (view, 'I', "scroll", "after jump");
  settle (200);
  WAIT_UNTIL (at_bottom (view), 3000);

  /* Scrolling back to the bottom by hand resumes too. */
  gtk_adjustment_set_value (adj, 0);
  g_assert_false (espy_logs_view_get_following (view));
  gtk_adjustment_set_value (adj, gtk_adjustment_get_upper (adj) - gtk_adjustment_get_page_size (adj));
  g_assert_true (espy_logs_view_get_following (view));
}

static void
test_bounded (void)
{
  EspyLogsView *view = show_view (100);
  GtkTextBuffer *text = gtk_text_view_get_buffer (espy_logs_view_get_text_view (view));
  GtkTextIter start, end;
  g_autofree char *first = NULL;

  for (guint i = 0; i < 1000; i++)
    {
      g_autofree char *msg = g_strdup_printf ("line %u", i);

      add (view, 'D', "bound", msg);
      if (i % 7 == 0)
        {
          add (view, 'C', "dump", "Block:");
          add (view, 'C', "dump", "  detail");
        }
    }
  /* 100 lines and the empty last one; a block is never cut in half. */
  drain ();
  g_assert_cmpint (gtk_text_buffer_get_line_count (text), <=, 101);
  g_assert_cmpint (gtk_text_buffer_get_line_count (text), ==,
                   (int) espy_log_buffer_get_n_lines (espy_logs_view_get_buffer (view)) + 1);
  gtk_text_buffer_get_iter_at_line (text, &start, 0);
  end = start;
  gtk_text_iter_forward_to_line_end (&end);
  first = gtk_text_buffer_get_text (text, &start, &end, FALSE);
  g_assert_true (g_str_has_prefix (first, "[D][bound:042]: line 9") || g_str_has_prefix (first, "[C][dump"));
  {
    g_autofree char *all = view_text (view);

    g_assert_true (g_str_has_prefix (all, "[") && !g_str_has_prefix (all, "  detail"));
    g_assert_true (g_str_has_suffix (all, "line 999\n"));
  }
}

/* A config dump with timestamps: every line has the entry's time, so the
 * dump stays aligned; the time is dim on each line, the text is not. */
static void
test_dump_timestamps (void)
{
  EspyLogsView *view = show_view (0);
  GtkTextBuffer *text = gtk_text_view_get_buffer (espy_logs_view_get_text_view (view));
  g_autofree char *all = NULL;
  GtkTextIter iter;

  add (view, 'I', "app", "Running");
  add (view, 'C', "wifi", "WiFi:");
  add (view, 'C', "wifi", "  SSID: " ESC "[5mmy-net" ESC "[6m");
  add (view, 'C', "wifi", "  Channel: 6");
  espy_logs_view_set_timestamps (view, TRUE);
  all = view_text (view);
  g_assert_true (g_regex_match_simple ("^\\d\\d:\\d\\d:\\d\\d\\.\\d{3} \\[I\\]\\[app:042\\]: Running\n"
                                       "(\\d\\d:\\d\\d:\\d\\d\\.\\d{3}) \\[C\\]\\[wifi:042\\]: WiFi:\n"
                                       "\\1   SSID: " "••••" "\n"
                                       "\\1   Channel: 6\n\\z", all, 0, 0));
  g_assert_true (has_tag_at (view, 2, 2, "timestamp"));
  g_assert_true (has_tag_at (view, 3, 11, "timestamp"));
  g_assert_false (has_tag_at (view, 3, 15, "timestamp"));
  g_assert_true (has_tag_at (view, 3, 15, "fg-35"));
  g_assert_true (has_tag_at (view, 2, 23, "secret"));
  gtk_text_buffer_get_iter_at_line (text, &iter, 2);
  g_assert_cmpint (gtk_text_iter_get_chars_in_line (&iter), ==, (int) strlen ("00:00:00.000   SSID: ") + 4 + 1);

  /* Off again: the dump lines are bare. */
  espy_logs_view_set_timestamps (view, FALSE);
  g_clear_pointer (&all, g_free);
  all = view_text (view);
  g_assert_cmpstr (all, ==, "[I][app:042]: Running\n[C][wifi:042]: WiFi:\n  SSID: ••••\n  Channel: 6\n");
}

typedef struct {
  guint since_paint;
  guint max_between_paints;
  guint total;
} Pace;

static void
on_insert_text (GtkTextBuffer *buffer,
                GtkTextIter   *location,
                const char    *text,
                int            len,
                Pace          *pace)
{
  guint lines = 0;

  for (int i = 0; i < len; i++)
    lines += text[i] == '\n';
  pace->since_paint += lines;
  pace->total += lines;
  pace->max_between_paints = MAX (pace->max_between_paints, pace->since_paint);
}

static void
on_after_paint (GdkFrameClock *clock,
                Pace          *pace)
{
  pace->since_paint = 0;
}

/* A flood faster than frames: the text takes a bounded number of lines
 * between two frames (the text view measures lines between frames, and
 * draws every unmeasured one at the bottom at once), and catches up. */
static void
test_paced (void)
{
  EspyLogsView *view = show_view (0);
  GtkTextBuffer *text = gtk_text_view_get_buffer (espy_logs_view_get_text_view (view));
  GdkFrameClock *clock = gtk_widget_get_frame_clock (GTK_WIDGET (window));
  Pace pace = { 0, 0, 0 };
  gulong insert_id, paint_id;

  g_assert_nonnull (clock);
  insert_id = g_signal_connect (text, "insert-text", G_CALLBACK (on_insert_text), &pace);
  paint_id = g_signal_connect (clock, "after-paint", G_CALLBACK (on_after_paint), &pace);
  for (guint i = 0; i < 30000; i++)
    {
      g_autofree char *msg = g_strdup_printf ("flood %u", i);

      add (view, 'D', "flood", msg);
    }
  WAIT_UNTIL (pace.total == 30000, 20000);
  g_assert_cmpint (gtk_text_buffer_get_line_count (text), ==, 30001);
  g_assert_cmpuint (pace.max_between_paints, <=, 5000);
  g_assert_cmpuint (pace.max_between_paints, >, 0);
  g_assert_true (view_contains (view, "flood 29999\n"));
  g_signal_handler_disconnect (text, insert_id);
  g_signal_handler_disconnect (clock, paint_id);
}

static void
test_live (void)
{
  g_autoptr(EspySimWebServer) server = espy_sim_web_server_new (ESPY_SIM_WEB_FLAVOUR_ESP_IDF);
  g_autoptr(EspyLogSession) session = espy_log_session_new ("kitchen", "127.0.0.1", 1);
  g_autoptr(GError) error = NULL;
  EspyLogsView *view;
  GtkRevealer *banner = NULL;

  espy_sim_web_server_set_log_rate (server, 40);
  g_assert_true (espy_sim_web_server_start (server, &error));
  g_assert_no_error (error);
  espy_log_session_set_use_keyring (session, FALSE);
  espy_log_session_set_has_api (session, FALSE);
  espy_log_session_set_web_port (session, espy_sim_web_server_get_port (server));
  espy_log_session_set_backoff (session, 5000, 5000);
  view = ESPY_LOGS_VIEW (espy_logs_view_new_for_session (session, 0));
  gtk_window_set_child (window, GTK_WIDGET (view));

  /* Mapped: the session runs. */
  WAIT_UNTIL (espy_log_session_get_state (session) == ESPY_LOG_SESSION_STATE_STREAMING, 5000);
  espy_sim_web_server_emit_log (server, 'W', "live", 9, "a warning from the device");
  WAIT_UNTIL (espy_log_buffer_get_n_entries (espy_logs_view_get_buffer (view)) >= 5, 5000);
  WAIT_UNTIL (view_contains (view, "a warning from the device"), 5000);
  g_assert_false (view_contains (view, ESC));
  for (GtkWidget *w = gtk_widget_get_first_child (gtk_widget_get_first_child (GTK_WIDGET (view)));
       w != NULL; w = gtk_widget_get_next_sibling (w))
    if (GTK_IS_REVEALER (w))
      {
        banner = GTK_REVEALER (w);
        break;
      }
  g_assert_nonnull (banner);
  g_assert_false (gtk_revealer_get_reveal_child (banner));
  save_screenshot ("live");

  /* The device goes away: the banner says so. */
  espy_sim_web_server_stop (server);
  WAIT_UNTIL (espy_log_session_get_state (session) == ESPY_LOG_SESSION_STATE_RECONNECTING, 5000);
  g_assert_true (gtk_revealer_get_reveal_child (banner));
  save_screenshot ("reconnecting");

  /* Unmapped: the session stops (devices allow few clients). */
  gtk_window_set_child (window, NULL);
  g_assert_cmpint (espy_log_session_get_state (session), ==, ESPY_LOG_SESSION_STATE_IDLE);
}

static void
test_empty_and_key (void)
{
  g_autoptr(EspyLogSession) session = espy_log_session_new ("locked", "127.0.0.1", 1);
  GtkWidget *view;

  espy_log_session_set_use_keyring (session, FALSE);
  espy_log_session_set_api_encryption (session, ESPY_TRISTATE_YES);
  view = espy_logs_view_new_for_session (session, 0);
  gtk_window_set_child (window, view);
  WAIT_UNTIL (espy_log_session_get_state (session) == ESPY_LOG_SESSION_STATE_KEY_NEEDED, 3000);
  settle (300);
  save_screenshot ("key-needed");
  {
    /* The prompt is an AdwMessageDialog over the window. */
    GListModel *toplevels = gtk_window_get_toplevels ();
    AdwMessageDialog *dialog = NULL;

    for (guint i = 0; i < g_list_model_get_n_items (toplevels); i++)
      {
        g_autoptr(GObject) w = g_list_model_get_item (toplevels, i);

        if (ADW_IS_MESSAGE_DIALOG (w) && gtk_widget_get_visible (GTK_WIDGET (w)))
          dialog = ADW_MESSAGE_DIALOG (w);
      }
    g_assert_nonnull (dialog);
    g_assert_cmpstr (adw_message_dialog_get_heading (dialog), ==, "API Encryption Key");
    adw_message_dialog_response (dialog, "cancel");
  }
  gtk_window_set_child (window, NULL);
}

/* The visible message dialog with HEADING, or NULL. */
static AdwMessageDialog *
find_dialog (const char *heading)
{
  GListModel *toplevels = gtk_window_get_toplevels ();

  for (guint i = 0; i < g_list_model_get_n_items (toplevels); i++)
    {
      g_autoptr(GObject) w = g_list_model_get_item (toplevels, i);

      if (ADW_IS_MESSAGE_DIALOG (w) && gtk_widget_get_visible (GTK_WIDGET (w)) &&
          g_strcmp0 (adw_message_dialog_get_heading (ADW_MESSAGE_DIALOG (w)), heading) == 0)
        return ADW_MESSAGE_DIALOG (w);
    }
  return NULL;
}

static GtkWidget *
find_button (GtkWidget  *widget,
             const char *label)
{
  if (GTK_IS_BUTTON (widget) && g_strcmp0 (gtk_button_get_label (GTK_BUTTON (widget)), label) == 0)
    return widget;
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found = find_button (child, label);

      if (found != NULL)
        return found;
    }
  return NULL;
}

/* As the user does it: the response's button, which also closes the dialog. */
static void
click (AdwMessageDialog *dialog,
       const char       *label)
{
  GtkWidget *button = find_button (GTK_WIDGET (dialog), label);

  g_assert_nonnull (button);
  g_assert_true (gtk_widget_is_sensitive (button));
  g_signal_emit_by_name (button, "clicked");
  settle (50);
}

/* The prompt's user name and password entries and its Remember switch. */
static void
web_dialog_parts (AdwMessageDialog  *dialog,
                  GtkEditable      **user,
                  GtkEditable      **password,
                  GtkSwitch        **remember)
{
  GtkWidget *box = adw_message_dialog_get_extra_child (dialog);
  GtkWidget *child = gtk_widget_get_first_child (box);

  g_assert_true (GTK_IS_ENTRY (child));
  *user = GTK_EDITABLE (child);
  child = gtk_widget_get_next_sibling (child);
  g_assert_true (GTK_IS_ENTRY (child));
  *password = GTK_EDITABLE (child);
  /* Hidden, like the key. */
  g_assert_false (gtk_entry_get_visibility (GTK_ENTRY (child)));
  child = gtk_widget_get_last_child (gtk_widget_get_next_sibling (child));
  g_assert_true (GTK_IS_SWITCH (child));
  *remember = GTK_SWITCH (child);
}

typedef struct {
  GAsyncResult *result;
} Wait;

static void
on_secret_done (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  ((Wait *) user_data)->result = g_object_ref (result);
}

static char *
keyring_get (const char     *device,
             EspySecretKind  kind)
{
  Wait w = { NULL };
  g_autoptr(GError) error = NULL;
  char *secret;

  espy_secrets_lookup_async (device, kind, NULL, on_secret_done, &w);
  WAIT_UNTIL (w.result != NULL, 10000);
  secret = espy_secrets_lookup_finish (w.result, &error);
  g_object_unref (w.result);
  g_assert_no_error (error);
  return secret;
}

static void
keyring_clear (const char     *device,
               EspySecretKind  kind)
{
  Wait w = { NULL };

  espy_secrets_clear_async (device, kind, NULL, on_secret_done, &w);
  WAIT_UNTIL (w.result != NULL, 10000);
  espy_secrets_clear_finish (w.result, NULL, NULL);
  g_object_unref (w.result);
}

static gboolean
keyring_available (void)
{
  g_autoptr(GDBusConnection) bus = g_bus_get_sync (G_BUS_TYPE_SESSION, NULL, NULL);
  g_autoptr(GVariant) reply = NULL;
  gboolean has = FALSE;

  if (bus == NULL)
    return FALSE;
  reply = g_dbus_connection_call_sync (bus, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                                       "org.freedesktop.DBus", "NameHasOwner",
                                       g_variant_new ("(s)", "org.freedesktop.secrets"),
                                       G_VARIANT_TYPE ("(b)"), G_DBUS_CALL_FLAGS_NONE, -1, NULL, NULL);
  if (reply != NULL)
    g_variant_get (reply, "(b)", &has);
  if (!has)
    {
      g_autoptr(GVariant) names = g_dbus_connection_call_sync (bus, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                                                               "org.freedesktop.DBus", "ListActivatableNames",
                                                               NULL, G_VARIANT_TYPE ("(as)"),
                                                               G_DBUS_CALL_FLAGS_NONE, -1, NULL, NULL);
      if (names != NULL)
        {
          g_autofree const char **list = NULL;

          g_variant_get (names, "(^a&s)", &list);
          has = g_strv_contains (list, "org.freedesktop.secrets");
        }
    }
  return has;
}

static void
count_cb (EspyLogSession *session,
          const char     *reason,
          guint          *count)
{
  (*count)++;
}

static EspyLogSession *
web_session_new (EspySimWebServer *server)
{
  EspyLogSession *session = espy_log_session_new ("uiweb", "127.0.0.1", 1);

  espy_log_session_set_has_api (session, FALSE);
  espy_log_session_set_web_port (session, espy_sim_web_server_get_port (server));
  espy_log_session_set_backoff (session, 5000, 5000);
  return session;
}

#define WEB_PASSWORD "Ui-Digest-pass-5150"

/* A web server with Digest auth, no API, nothing in a YAML or the keyring:
 * the view asks for the user name and password like it asks for a key,
 * says so when they are wrong and asks again, streams with the right ones
 * and, with Remember, a new view of the device streams without asking. */
static void
test_web_prompt (void)
{
  g_autoptr(EspySimWebServer) server = espy_sim_web_server_new (ESPY_SIM_WEB_FLAVOUR_ARDUINO);
  g_autoptr(EspyLogSession) session = NULL;
  g_autoptr(GError) error = NULL;
  EspyLogsView *view;
  AdwMessageDialog *dialog;
  GtkEditable *user, *password;
  GtkSwitch *remember;
  guint asked = 0;

  if (!keyring_available ())
    {
      g_test_skip ("no Secret Service on the session bus (run inside tests/test-env.sh)");
      return;
    }
  keyring_clear ("uiweb", ESPY_SECRET_KIND_WEB_USER);
  keyring_clear ("uiweb", ESPY_SECRET_KIND_WEB_PASSWORD);
  espy_sim_web_server_set_auth (server, "webadmin", WEB_PASSWORD);
  espy_sim_web_server_set_log_rate (server, 40);
  g_assert_true (espy_sim_web_server_start (server, &error));
  g_assert_no_error (error);

  session = web_session_new (server);
  g_signal_connect (session, "credentials-needed", G_CALLBACK (count_cb), &asked);
  view = ESPY_LOGS_VIEW (espy_logs_view_new_for_session (session, 0));
  gtk_window_set_child (window, GTK_WIDGET (view));

  /* The prompt: empty user name, Connect off until there is one. */
  WAIT_UNTIL ((dialog = find_dialog ("Web Server Password")) != NULL, 10000);
  g_assert_cmpuint (asked, ==, 1);
  g_assert_true (espy_log_session_get_web_credentials_needed (session));
  g_assert_nonnull (strstr (adw_message_dialog_get_body (dialog), "user name and password"));
  web_dialog_parts (dialog, &user, &password, &remember);
  g_assert_cmpstr (gtk_editable_get_text (user), ==, "");
  g_assert_false (adw_message_dialog_get_response_enabled (dialog, "connect"));
  g_assert_true (gtk_switch_get_active (remember));
  gtk_editable_set_text (user, "webadmin");
  g_assert_true (adw_message_dialog_get_response_enabled (dialog, "connect"));
  gtk_editable_set_text (user, "");
  settle (300);
  save_screenshot ("web-prompt-window");
  save_widget_screenshot (GTK_WIDGET (dialog), "web-prompt");

  /* A wrong password: the prompt comes back saying so, user name kept. */
  gtk_editable_set_text (user, "webadmin");
  gtk_editable_set_text (password, "not-" WEB_PASSWORD);
  {
    AdwMessageDialog *first = dialog;

    /* Connect closes this prompt; the refusal brings a new one. */
    g_object_add_weak_pointer (G_OBJECT (first), (gpointer *) &first);
    click (dialog, "C_onnect");
    WAIT_UNTIL (first == NULL, 5000);
  }
  WAIT_UNTIL (asked == 2, 10000);
  g_assert_error (espy_log_session_get_error (session), ESPY_EVENT_STREAM_ERROR,
                  ESPY_EVENT_STREAM_ERROR_WRONG_CREDENTIALS);
  WAIT_UNTIL ((dialog = find_dialog ("Web Server Password")) != NULL, 5000);
  g_assert_nonnull (strstr (adw_message_dialog_get_body (dialog), "rejected"));
  g_assert_null (strstr (adw_message_dialog_get_body (dialog), WEB_PASSWORD));
  g_assert_null (strstr (espy_log_session_get_status (session), WEB_PASSWORD));
  web_dialog_parts (dialog, &user, &password, &remember);
  g_assert_cmpstr (gtk_editable_get_text (user), ==, "webadmin");
  g_assert_cmpstr (gtk_editable_get_text (password), ==, "");
  /* Nothing stored for credentials the web server refused. */
  {
    g_autofree char *stored = keyring_get ("uiweb", ESPY_SECRET_KIND_WEB_PASSWORD);

    g_assert_null (stored);
  }
  save_widget_screenshot (GTK_WIDGET (dialog), "web-prompt-wrong");

  /* Cancelled: the banner offers the prompt again. */
  click (dialog, "_Cancel");
  g_assert_null (find_dialog ("Web Server Password"));
  g_assert_true (espy_log_session_get_web_credentials_needed (session));
  {
    GtkWidget *button = find_button (GTK_WIDGET (view), "Enter Password…");

    g_assert_nonnull (button);
    g_assert_true (gtk_widget_get_visible (button));
    g_assert_cmpstr (gtk_actionable_get_action_name (GTK_ACTIONABLE (button)), ==, "logs.enter-web-credentials");
    g_assert_null (strstr (espy_log_session_get_status (session), "Failed"));
  }
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (view), "logs.enter-web-credentials", NULL));
  WAIT_UNTIL ((dialog = find_dialog ("Web Server Password")) != NULL, 5000);
  g_assert_nonnull (strstr (adw_message_dialog_get_body (dialog), "rejected"));
  save_screenshot ("web-prompt-banner");

  /* The right one, remembered: lines stream, the keyring has both. */
  web_dialog_parts (dialog, &user, &password, &remember);
  gtk_editable_set_text (password, WEB_PASSWORD);
  gtk_switch_set_active (remember, TRUE);
  click (dialog, "C_onnect");
  WAIT_UNTIL (espy_log_session_get_state (session) == ESPY_LOG_SESSION_STATE_STREAMING, 10000);
  espy_sim_web_server_emit_log (server, 'W', "live", 9, "behind digest auth");
  WAIT_UNTIL (view_contains (view, "behind digest auth"), 5000);
  g_assert_null (find_dialog ("Web Server Password"));
  g_assert_cmpuint (asked, ==, 2);
  {
    g_autofree char *stored_user = NULL;
    g_autofree char *stored_password = NULL;

    for (guint i = 0; i < 100 && stored_password == NULL; i++)
      {
        spin (50);
        g_clear_pointer (&stored_user, g_free);
        stored_user = keyring_get ("uiweb", ESPY_SECRET_KIND_WEB_USER);
        stored_password = keyring_get ("uiweb", ESPY_SECRET_KIND_WEB_PASSWORD);
      }
    g_assert_cmpstr (stored_user, ==, "webadmin");
    g_assert_cmpstr (stored_password, ==, WEB_PASSWORD);
  }
  save_screenshot ("web-streaming");
  gtk_window_set_child (window, NULL);
  g_clear_object (&session);

  /* A new view of the device: straight from the keyring, no prompt. */
  asked = 0;
  session = web_session_new (server);
  g_signal_connect (session, "credentials-needed", G_CALLBACK (count_cb), &asked);
  view = ESPY_LOGS_VIEW (espy_logs_view_new_for_session (session, 0));
  gtk_window_set_child (window, GTK_WIDGET (view));
  WAIT_UNTIL (espy_log_session_get_state (session) == ESPY_LOG_SESSION_STATE_STREAMING, 10000);
  espy_sim_web_server_emit_log (server, 'I', "live", 10, "remembered credentials");
  WAIT_UNTIL (view_contains (view, "remembered credentials"), 5000);
  g_assert_cmpuint (asked, ==, 0);
  g_assert_null (find_dialog ("Web Server Password"));
  gtk_window_set_child (window, NULL);

  keyring_clear ("uiweb", ESPY_SECRET_KIND_WEB_USER);
  keyring_clear ("uiweb", ESPY_SECRET_KIND_WEB_PASSWORD);
}

static void
test_no_display (void)
{
  g_test_skip ("no display");
}

int
main (int   argc,
      char *argv[])
{
  int ret;

  g_setenv ("GSK_RENDERER", "cairo", FALSE);
  g_setenv ("GSETTINGS_BACKEND", "memory", TRUE);
  g_setenv ("NO_AT_BRIDGE", "1", FALSE);
  g_test_init (&argc, &argv, NULL);

  if (!gtk_init_check ())
    {
      g_test_add_func ("/ui/logs/no-display", test_no_display);
      return g_test_run ();
    }
  adw_init ();

  window = GTK_WINDOW (gtk_window_new ());
  gtk_window_set_default_size (window, 900, 520);
  gtk_window_present (window);

  g_test_add_func ("/ui/logs/colours", test_colours);
  g_test_add_func ("/ui/logs/filter", test_filter);
  g_test_add_func ("/ui/logs/search", test_search);
  g_test_add_func ("/ui/logs/autoscroll", test_autoscroll);
  g_test_add_func ("/ui/logs/bounded", test_bounded);
  g_test_add_func ("/ui/logs/dump-timestamps", test_dump_timestamps);
  g_test_add_func ("/ui/logs/paced", test_paced);
  g_test_add_func ("/ui/logs/live", test_live);
  g_test_add_func ("/ui/logs/key-prompt", test_empty_and_key);
  g_test_add_func ("/ui/logs/web-prompt", test_web_prompt);
  ret = g_test_run ();
  gtk_window_destroy (window);
  return ret;
}
