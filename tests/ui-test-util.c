/* ui-test-util.c
 *
 * Copyright 2026 The Espy authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "ui-test-util.h"

#include <glib/gstdio.h>
#include <string.h>

#include "espy-device-card.h"

/* --- the main loop ---------------------------------------------------------- */

static gboolean
wake_cb (gpointer data)
{
  *(gboolean *) data = TRUE;
  return G_SOURCE_REMOVE;
}

void
ui_test_spin (guint ms)
{
  gboolean done = FALSE;

  g_timeout_add (ms, wake_cb, &done);
  while (!done)
    g_main_context_iteration (NULL, TRUE);
}

gboolean
ui_test_wait_until (gboolean (*cond) (gpointer),
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

gboolean
ui_test_flag_set (gpointer data)
{
  return *(gboolean *) data;
}

static void
frame_cb (GdkFrameClock *clock,
          gpointer       data)
{
  *(gboolean *) data = TRUE;
}

void
ui_test_settle (GtkWidget *widget,
                guint      ms)
{
  GdkFrameClock *clock;
  gboolean drawn = FALSE;
  gulong id;

  ui_test_spin (ms);
  clock = gtk_widget_get_frame_clock (widget);
  if (clock == NULL)
    return;
  id = g_signal_connect (clock, "after-paint", G_CALLBACK (frame_cb), &drawn);
  /* The whole window: a frame is painted even when @widget is unchanged. */
  gtk_widget_queue_draw (GTK_WIDGET (gtk_widget_get_root (widget)));
  ui_test_wait_until (ui_test_flag_set, &drawn, 2000);
  g_signal_handler_disconnect (clock, id);
}

/* --- finding widgets -------------------------------------------------------- */

void
ui_test_collect (GtkWidget *widget,
                 GType      type,
                 GPtrArray *out)
{
  if (G_TYPE_CHECK_INSTANCE_TYPE (widget, type))
    g_ptr_array_add (out, widget);
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    ui_test_collect (child, type, out);
}

GtkWidget *
ui_test_find_type (GtkWidget *widget,
                   GType      type)
{
  if (G_TYPE_CHECK_INSTANCE_TYPE (widget, type))
    return widget;
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found = ui_test_find_type (child, type);

      if (found != NULL)
        return found;
    }
  return NULL;
}

GtkWidget *
ui_test_find_label (GtkWidget  *widget,
                    const char *text)
{
  if (GTK_IS_LABEL (widget) && gtk_widget_is_drawable (widget)
      && strstr (gtk_label_get_text (GTK_LABEL (widget)), text) != NULL)
    return widget;
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found = ui_test_find_label (child, text);

      if (found != NULL)
        return found;
    }
  return NULL;
}

void
ui_test_collect_cards (GtkWidget *widget,
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
    ui_test_collect_cards (child, cards);
}

GtkWidget *
ui_test_find_card (GtkWidget  *widget,
                   const char *title)
{
  g_autoptr(GPtrArray) cards = g_ptr_array_new ();

  ui_test_collect_cards (widget, cards);
  for (guint i = 0; i < cards->len; i++)
    {
      EspyDevice *device = espy_device_card_get_device (g_ptr_array_index (cards, i));

      if (g_strcmp0 (espy_device_get_display_name (device), title) == 0)
        return g_ptr_array_index (cards, i);
    }
  return NULL;
}

/* --- screenshots ------------------------------------------------------------ */

void
ui_test_screenshot (GtkWidget  *widget,
                    const char *name)
{
  const char *dir = g_getenv ("ESPY_SCREENSHOTS_DIR");
  g_autoptr(GdkPaintable) paintable = NULL;
  g_autoptr(GtkSnapshot) snapshot = NULL;
  g_autoptr(GskRenderNode) node = NULL;
  g_autoptr(GdkTexture) texture = NULL;
  g_autofree char *file_name = NULL;
  g_autofree char *path = NULL;
  int width;
  int height;

  if (dir == NULL || *dir == '\0')
    return;

  ui_test_settle (widget, 300);
  width = gtk_widget_get_width (widget);
  height = gtk_widget_get_height (widget);
  g_assert_cmpint (width, >, 0);

  paintable = gtk_widget_paintable_new (widget);
  /* Nothing to render until the widget was drawn once (a page that just
   * changed): give it a few frames. */
  for (guint i = 0; i < 20 && node == NULL; i++)
    {
      if (i > 0)
        ui_test_spin (100);
      g_clear_object (&snapshot);
      snapshot = gtk_snapshot_new ();
      gdk_paintable_snapshot (paintable, GDK_SNAPSHOT (snapshot), width, height);
      node = gtk_snapshot_to_node (snapshot);
    }
  g_assert_nonnull (node);
  texture = gsk_renderer_render_texture (gtk_native_get_renderer (gtk_widget_get_native (widget)),
                                         node, &GRAPHENE_RECT_INIT (0, 0, width, height));
  g_mkdir_with_parents (dir, 0755);
  file_name = g_strconcat (name, ".png", NULL);
  path = g_build_filename (dir, file_name, NULL);
  g_assert_true (gdk_texture_save_to_png (texture, path));
  g_test_message ("screenshot: %s (%d×%d)", path, width, height);
}

void
ui_test_screenshot_content (GtkWidget  *window,
                            const char *name)
{
  ui_test_screenshot (adw_window_get_content (ADW_WINDOW (window)), name);
}

/* --- set-up ----------------------------------------------------------------- */

gboolean
ui_test_init (int    *argc,
              char ***argv)
{
  g_setenv ("GSK_RENDERER", "cairo", FALSE);
  g_setenv ("GTK_A11Y", "none", FALSE);
  g_setenv ("ADW_DISABLE_PORTAL", "1", FALSE);
  g_test_init (argc, argv, NULL);

  if (!gtk_init_check ())
    {
      g_test_skip ("No display (run under xvfb-run)");
      g_print ("1..0 # SKIP no display\n");
      return FALSE;
    }
  adw_init ();
  return TRUE;
}

void
ui_test_app_env (void)
{
  const char *build_dir = g_getenv ("G_TEST_BUILDDIR");

  g_setenv ("GSK_RENDERER", "cairo", FALSE);
  g_setenv ("GSETTINGS_BACKEND", "memory", TRUE);
  g_setenv ("GIO_USE_PROXY_RESOLVER", "dummy", FALSE);
  g_setenv ("NO_AT_BRIDGE", "1", FALSE);
  /* The build tree's compiled schema (data/), when the test runs from it. */
  if (build_dir != NULL && g_getenv ("GSETTINGS_SCHEMA_DIR") == NULL)
    {
      g_autofree char *schema_dir = g_build_filename (build_dir, "..", "data", NULL);

      if (g_file_test (schema_dir, G_FILE_TEST_IS_DIR))
        g_setenv ("GSETTINGS_SCHEMA_DIR", schema_dir, TRUE);
    }
}

EspyWindow *
ui_test_demo_start (EspyApplication **app)
{
  g_autoptr(GError) error = NULL;
  GList *windows;

  /* GNOME's title buttons, so narrow screenshots look as they do there. */
  g_object_set (gtk_settings_get_default (), "gtk-decoration-layout", "appmenu:close", NULL);

  *app = espy_application_new ();
  /* In-process, no D-Bus name: the test never talks to another instance. */
  g_application_set_flags (G_APPLICATION (*app), G_APPLICATION_NON_UNIQUE | G_APPLICATION_HANDLES_COMMAND_LINE);
  if (!g_application_register (G_APPLICATION (*app), NULL, &error))
    g_error ("Could not register the application: %s", error->message);
  espy_application_set_demo_mode (*app, TRUE);
  g_application_activate (G_APPLICATION (*app));

  windows = gtk_application_get_windows (GTK_APPLICATION (*app));
  g_assert_nonnull (windows);
  return ESPY_WINDOW (windows->data);
}

void
ui_test_demo_stop (EspyWindow       *window,
                   EspyApplication **app)
{
  gtk_window_destroy (GTK_WINDOW (window));
  g_application_quit (G_APPLICATION (*app));
  g_clear_object (app);
}
