/* test-ui-german.c: Espy in German on a real X server (Xvfb), in demo mode,
 * with the build tree's catalogue (po/de.po compiled to
 * $ESPY_LOCALEDIR/de/LC_MESSAGES/espy.mo). The header, the filters and the
 * cards show German text, no English is left where German exists, and no
 * label of the main window is cut short. The installed programs read
 * ESPY_LOCALEDIR too (src/gui/main.c, src/cli/espy-cli.c): `espy --help`
 * and `espy-cli` speak German. With $ESPY_SCREENSHOTS_DIR set, the window
 * is saved there as german.png.
 *
 * Copyright 2026 The Espy authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <adwaita.h>
#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <locale.h>
#include <string.h>

#include "espy-application.h"
#include "espy-demo.h"
#include "espy-device-card.h"
#include "espy-window.h"

static EspyApplication *app;
static EspyWindow *window;
static const char *localedir;

/* --- helpers -------------------------------------------------------------- */

static gboolean
wake_cb (gpointer data)
{
  *(gboolean *) data = TRUE;
  return G_SOURCE_REMOVE;
}

static gboolean
wait_until (gboolean (*cond) (gpointer),
            gpointer   data,
            guint      timeout_ms)
{
  gboolean timed_out = FALSE;
  guint id = g_timeout_add (timeout_ms, wake_cb, &timed_out);

  while (!cond (data) && !timed_out)
    g_main_context_iteration (NULL, TRUE);
  if (!timed_out)
    g_source_remove (id);
  return cond (data);
}

static void
spin (guint ms)
{
  gboolean done = FALSE;

  g_timeout_add (ms, wake_cb, &done);
  while (!done)
    g_main_context_iteration (NULL, TRUE);
}

static void
frame_cb (GdkFrameClock *clock,
          gpointer       data)
{
  *(gboolean *) data = TRUE;
}

static gboolean
flag_set (gpointer data)
{
  return *(gboolean *) data;
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
  wait_until (flag_set, &drawn, 2000);
  g_signal_handler_disconnect (clock, id);
}

static void
collect_cards (GtkWidget *widget,
               GPtrArray *cards)
{
  if (ESPY_IS_DEVICE_CARD (widget))
    {
      if (espy_device_card_get_device (ESPY_DEVICE_CARD (widget)) != NULL && gtk_widget_is_visible (widget))
        g_ptr_array_add (cards, widget);
      return;
    }
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    collect_cards (child, cards);
}

/* Visible labels below WIDGET (the mapped ones: not a squeezer's hidden
 * child or another stack page). */
static void
collect_labels (GtkWidget *widget,
                GPtrArray *labels)
{
  if (!gtk_widget_get_mapped (widget))
    return;
  if (GTK_IS_LABEL (widget))
    g_ptr_array_add (labels, widget);
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    collect_labels (child, labels);
}

/* Every visible label text below WIDGET, "|"-separated (and ending in one). */
static char *
text_of (GtkWidget *widget)
{
  g_autoptr(GPtrArray) labels = g_ptr_array_new ();
  GString *text = g_string_new ("|");

  collect_labels (widget, labels);
  for (guint i = 0; i < labels->len; i++)
    g_string_append_printf (text, "%s|", gtk_label_get_text (g_ptr_array_index (labels, i)));
  return g_string_free (text, FALSE);
}

static gboolean
shows (GtkWidget  *widget,
       const char *label)
{
  g_autofree char *text = text_of (widget);
  g_autofree char *needle = g_strconcat ("|", label, "|", NULL);

  return strstr (text, needle) != NULL;
}

static GtkWidget *
find_card (const char *title)
{
  g_autoptr(GPtrArray) cards = g_ptr_array_new ();

  collect_cards (GTK_WIDGET (window), cards);
  for (guint i = 0; i < cards->len; i++)
    {
      EspyDevice *device = espy_device_card_get_device (g_ptr_array_index (cards, i));

      if (g_strcmp0 (espy_device_get_display_name (device), title) == 0)
        return g_ptr_array_index (cards, i);
    }
  return NULL;
}

/* Labels that show "…" in place of part of their text, as a list. A label
 * that does not ellipsize cannot be narrower than its text. */
static char *
cut_labels (GtkWidget *widget)
{
  g_autoptr(GPtrArray) labels = g_ptr_array_new ();
  GString *out = g_string_new (NULL);

  collect_labels (widget, labels);
  for (guint i = 0; i < labels->len; i++)
    {
      GtkLabel *label = g_ptr_array_index (labels, i);

      if (gtk_label_get_ellipsize (label) != PANGO_ELLIPSIZE_NONE
          && pango_layout_is_ellipsized (gtk_label_get_layout (label)))
        g_string_append_printf (out, "“%s” ", gtk_label_get_text (label));
    }
  return g_string_free (out, FALSE);
}

static void
save_screenshot (GtkWidget  *widget,
                 const char *name)
{
  const char *dir = g_getenv ("ESPY_SCREENSHOTS_DIR");
  g_autoptr(GdkPaintable) paintable = NULL;
  g_autoptr(GskRenderNode) node = NULL;
  g_autoptr(GdkTexture) texture = NULL;
  g_autofree char *file_name = NULL;
  g_autofree char *path = NULL;
  GtkSnapshot *snapshot;
  GskRenderer *renderer;
  int width;
  int height;

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
  renderer = gtk_native_get_renderer (gtk_widget_get_native (widget));
  texture = gsk_renderer_render_texture (renderer, node, &GRAPHENE_RECT_INIT (0, 0, width, height));
  g_mkdir_with_parents (dir, 0755);
  file_name = g_strconcat (name, ".png", NULL);
  path = g_build_filename (dir, file_name, NULL);
  g_assert_true (gdk_texture_save_to_png (texture, path));
  g_test_message ("screenshot: %s (%d×%d)", path, width, height);
}

static void
set_window_size (int width,
                 int height)
{
  gtk_window_unmaximize (GTK_WINDOW (window));
  gtk_window_set_default_size (GTK_WINDOW (window), width, height);
  settle (400);
}

/* Six cards, five of them online, the attic fan found offline. */
static gboolean
cards_ready (gpointer data)
{
  g_autoptr(GPtrArray) cards = g_ptr_array_new ();
  GtkWidget *attic = find_card ("Attic Fan");
  guint online = 0;

  collect_cards (GTK_WIDGET (window), cards);
  if (cards->len != 6 || attic == NULL)
    return FALSE;
  for (guint i = 0; i < cards->len; i++)
    if (espy_device_get_online (espy_device_card_get_device (g_ptr_array_index (cards, i))))
      online++;
  return online == 5 && shows (attic, "Nicht erreichbar");
}

/* Runs PROGRAM ARG with the German environment; its stdout and stderr. */
static char *
run_german (const char *program,
            const char *arg)
{
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) envp = g_get_environ ();
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  const char *argv[] = { program, arg, NULL };
  int status = 0;

  envp = g_environ_setenv (envp, "ESPY_LOCALEDIR", localedir, TRUE);
  envp = g_environ_setenv (envp, "LANGUAGE", "de", TRUE);
  envp = g_environ_setenv (envp, "LC_ALL", setlocale (LC_MESSAGES, NULL), TRUE);
  g_assert_true (g_spawn_sync (NULL, (char **) argv, envp, G_SPAWN_DEFAULT, NULL, NULL,
                               &out, &err, &status, &error));
  g_assert_no_error (error);
  return g_strconcat (out, err, NULL);
}

/* --- tests ---------------------------------------------------------------- */

static void
test_catalogue (void)
{
  /* The build tree's espy.mo is what this test reads. */
  g_autofree char *mo = g_build_filename (localedir, "de", "LC_MESSAGES", "espy.mo", NULL);

  g_assert_true (g_file_test (mo, G_FILE_TEST_IS_REGULAR));
  g_assert_cmpstr (_("Update All"), ==, "Alle aktualisieren");
}

static void
test_window (void)
{
  GtkWidget *card;
  g_autofree char *text = NULL;
  g_autofree char *cut = NULL;

  set_window_size (1100, 720);
  g_assert_true (wait_until (cards_ready, NULL, 20000));
  settle (300);

  /* The header and the filter bar. */
  text = text_of (GTK_WIDGET (window));
  g_test_message ("window: %s", text);
  g_assert_nonnull (strstr (text, "|Alle aktualisieren|"));
  g_assert_nonnull (strstr (text, "|Demo-Modus|"));
  g_assert_nonnull (strstr (text, "|Aktualisierung verfügbar|"));
  g_assert_nonnull (strstr (text, "|Fehlgeschlagen|"));

  /* The cards: status, badge and button. */
  card = find_card ("Living Room Sensor");
  g_assert_nonnull (card);
  g_assert_true (shows (card, "Erreichbar"));
  g_assert_true (shows (card, "Neue Version"));
  g_assert_true (shows (card, "Installieren"));
  card = find_card ("Attic Fan");
  g_assert_true (shows (card, "Nicht erreichbar"));

  /* No English left where the catalogue has German. */
  {
    const char *english[] = { "Update All", "Online", "Offline", "Update available", "Install",
                              "Demo mode", "Failed", "All" };

    for (guint i = 0; i < G_N_ELEMENTS (english); i++)
      {
        g_autofree char *needle = g_strconcat ("|", english[i], "|", NULL);

        if (strstr (text, needle) != NULL)
          g_error ("“%s” is shown in English", english[i]);
      }
  }

  /* German is longer than English: nothing may be cut short. */
  cut = cut_labels (GTK_WIDGET (window));
  if (*cut != '\0')
    g_error ("labels cut short at 1100×720: %s", cut);

  save_screenshot (GTK_WIDGET (window), "german");
}

static void
test_narrow (void)
{
  g_autofree char *cut = NULL;

  /* The phone-sized layout: the header gives way to icons, cards stack. */
  set_window_size (360, 720);
  settle (400);
  cut = cut_labels (GTK_WIDGET (window));
  if (*cut != '\0')
    g_error ("labels cut short at 360×720: %s", cut);
  save_screenshot (GTK_WIDGET (window), "german-narrow");
  set_window_size (1100, 720);
}

static void
test_programs (void)
{
  const char *gui = g_getenv ("ESPY_GUI");
  const char *cli = g_getenv ("ESPY_CLI");
  g_autofree char *help = NULL;
  g_autofree char *usage = NULL;

  if (gui == NULL || cli == NULL)
    {
      g_test_skip ("ESPY_GUI and ESPY_CLI not set");
      return;
    }
  /* main() binds the catalogue from ESPY_LOCALEDIR. */
  help = run_german (gui, "--help");
  g_test_message ("espy --help: %s", help);
  g_assert_nonnull (strstr (help, "ESPHome-Geräte finden und ihre Firmware aktualisieren."));
  g_assert_null (strstr (help, "Find ESPHome devices"));

  usage = run_german (cli, NULL);
  g_test_message ("espy-cli: %s", usage);
  g_assert_nonnull (strstr (usage, _("Commands:")));
  g_assert_cmpstr (_("Commands:"), !=, "Commands:");
}

static void
test_no_display (void)
{
  g_test_skip ("no display: run under xvfb-run");
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GError) error = NULL;
  g_autofree char *schema_dir = NULL;
  g_autofree char *po_dir = NULL;
  const char *build_dir = g_getenv ("G_TEST_BUILDDIR");
  GList *windows;
  int ret;

  g_setenv ("GSK_RENDERER", "cairo", FALSE);
  g_setenv ("GSETTINGS_BACKEND", "memory", TRUE);
  g_setenv ("GIO_USE_PROXY_RESOLVER", "dummy", FALSE);
  g_setenv ("NO_AT_BRIDGE", "1", FALSE);
  if (build_dir != NULL && g_getenv ("GSETTINGS_SCHEMA_DIR") == NULL)
    {
      schema_dir = g_build_filename (build_dir, "..", "data", NULL);
      if (g_file_test (schema_dir, G_FILE_TEST_IS_DIR))
        g_setenv ("GSETTINGS_SCHEMA_DIR", schema_dir, TRUE);
    }
  localedir = g_getenv ("ESPY_LOCALEDIR");
  if (localedir == NULL && build_dir != NULL)
    localedir = po_dir = g_build_filename (build_dir, "..", "po", NULL);

  /* German as main() would set it up. The de_DE locale need not be
   * installed: gettext follows LANGUAGE under C.UTF-8 too (not under C). */
  g_setenv ("LANGUAGE", "de", TRUE);
  g_unsetenv ("LC_ALL");
  g_unsetenv ("LC_MESSAGES");
  if (setlocale (LC_ALL, "de_DE.UTF-8") == NULL && setlocale (LC_ALL, "C.UTF-8") == NULL)
    g_error ("neither de_DE.UTF-8 nor C.UTF-8 is available");
  g_test_init (&argc, &argv, NULL);
  g_assert_nonnull (localedir);
  bindtextdomain (GETTEXT_PACKAGE, localedir);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);

  g_test_add_func ("/ui/german/catalogue", test_catalogue);

  if (!gtk_init_check ())
    {
      g_test_add_func ("/ui/german/programs", test_programs);
      g_test_add_func ("/ui/german/no-display", test_no_display);
      return g_test_run ();
    }
  g_object_set (gtk_settings_get_default (), "gtk-decoration-layout", "appmenu:close", NULL);

  app = espy_application_new ();
  g_application_set_flags (G_APPLICATION (app), G_APPLICATION_NON_UNIQUE | G_APPLICATION_HANDLES_COMMAND_LINE);
  if (!g_application_register (G_APPLICATION (app), NULL, &error))
    g_error ("Could not register the application: %s", error->message);
  espy_application_set_demo_mode (app, TRUE);
  g_application_activate (G_APPLICATION (app));
  windows = gtk_application_get_windows (GTK_APPLICATION (app));
  g_assert_nonnull (windows);
  window = ESPY_WINDOW (windows->data);

  g_test_add_func ("/ui/german/window", test_window);
  g_test_add_func ("/ui/german/narrow", test_narrow);
  g_test_add_func ("/ui/german/programs", test_programs);

  ret = g_test_run ();

  gtk_window_destroy (GTK_WINDOW (window));
  g_application_quit (G_APPLICATION (app));
  g_clear_object (&app);
  return ret;
}
