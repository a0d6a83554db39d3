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
#include "ui-test-util.h"

static EspyApplication *app;
static EspyWindow *window;
static const char *localedir;

/* --- helpers -------------------------------------------------------------- */

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
set_window_size (int width,
                 int height)
{
  gtk_window_unmaximize (GTK_WINDOW (window));
  gtk_window_set_default_size (GTK_WINDOW (window), width, height);
  ui_test_settle (GTK_WIDGET (window), 400);
}

/* Six cards, five of them online, the attic fan found offline. */
static gboolean
cards_ready (gpointer data)
{
  g_autoptr(GPtrArray) cards = g_ptr_array_new ();
  GtkWidget *attic = ui_test_find_card (GTK_WIDGET (window), "Attic Fan");
  guint online = 0;

  ui_test_collect_cards (GTK_WIDGET (window), cards);
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
  g_assert_true (ui_test_wait_until (cards_ready, NULL, 20000));
  ui_test_settle (GTK_WIDGET (window), 300);

  /* The header and the filter bar. */
  text = text_of (GTK_WIDGET (window));
  g_test_message ("window: %s", text);
  g_assert_nonnull (strstr (text, "|Alle aktualisieren|"));
  g_assert_nonnull (strstr (text, "|Demo-Modus|"));
  g_assert_nonnull (strstr (text, "|Aktualisierung verfügbar|"));
  g_assert_nonnull (strstr (text, "|Fehlgeschlagen|"));

  /* The cards: status, badge and button. */
  card = ui_test_find_card (GTK_WIDGET (window), "Living Room Sensor");
  g_assert_nonnull (card);
  g_assert_true (shows (card, "Erreichbar"));
  g_assert_true (shows (card, "Neue Version"));
  g_assert_true (shows (card, "Installieren"));
  card = ui_test_find_card (GTK_WIDGET (window), "Attic Fan");
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

  ui_test_screenshot (GTK_WIDGET (window), "german");
}

static void
test_narrow (void)
{
  g_autofree char *cut = NULL;

  /* The phone-sized layout: the header gives way to icons, cards stack. */
  set_window_size (360, 720);
  ui_test_settle (GTK_WIDGET (window), 400);
  cut = cut_labels (GTK_WIDGET (window));
  if (*cut != '\0')
    g_error ("labels cut short at 360×720: %s", cut);
  ui_test_screenshot (GTK_WIDGET (window), "german-narrow");
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
  g_autofree char *po_dir = NULL;
  const char *build_dir = g_getenv ("G_TEST_BUILDDIR");
  int ret;

  ui_test_app_env ();
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
  window = ui_test_demo_start (&app);

  g_test_add_func ("/ui/german/window", test_window);
  g_test_add_func ("/ui/german/narrow", test_narrow);
  g_test_add_func ("/ui/german/programs", test_programs);

  ret = g_test_run ();

  ui_test_demo_stop (window, &app);
  return ret;
}
