/* test-ui-window.c: the main window on a real X server (Xvfb), in demo
 * mode: cards for the simulated devices with the right texts, filters and
 * search, an install that shows its progress on the card and comes back
 * with the new version, a failing one, the narrow layout and the empty
 * state. With $ESPY_SCREENSHOTS_DIR set, the main states are saved there
 * as PNG files.
 *
 * Copyright 2026 The Espy authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <adwaita.h>
#include <glib/gstdio.h>
#include <string.h>

#include "espy-application.h"
#include "espy-demo.h"
#include "espy-device-card.h"
#include "espy-window.h"

static EspyApplication *app;
static EspyWindow *window;

/* --- helpers -------------------------------------------------------------- */

static gboolean
wake_cb (gpointer data)
{
  *(gboolean *) data = TRUE;
  return G_SOURCE_REMOVE;
}

/* Runs the main loop until COND (data) holds or TIMEOUT_MS pass. */
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
collect_cards (GtkWidget *widget,
               GPtrArray *cards)
{
  if (ESPY_IS_DEVICE_CARD (widget))
    {
      if (espy_device_card_get_device (ESPY_DEVICE_CARD (widget)) != NULL &&
          gtk_widget_is_visible (widget))
        g_ptr_array_add (cards, widget);
      return;
    }

  for (GtkWidget *child = gtk_widget_get_first_child (widget);
       child != NULL;
       child = gtk_widget_get_next_sibling (child))
    collect_cards (child, cards);
}

/* The cards the grid shows (bound to a device). */
static GPtrArray *
get_cards (void)
{
  GPtrArray *cards = g_ptr_array_new ();

  collect_cards (GTK_WIDGET (window), cards);
  return cards;
}

static void
collect_labels (GtkWidget *widget,
                GString   *text)
{
  if (!gtk_widget_get_visible (widget))
    return;

  if (GTK_IS_LABEL (widget))
    g_string_append_printf (text, "%s|", gtk_label_get_label (GTK_LABEL (widget)));

  for (GtkWidget *child = gtk_widget_get_first_child (widget);
       child != NULL;
       child = gtk_widget_get_next_sibling (child))
    collect_labels (child, text);
}

/* Every visible label of CARD, "|"-separated (and ending in one). */
static char *
card_text (GtkWidget *card)
{
  GString *text = g_string_new ("|");

  collect_labels (card, text);
  return g_string_free (text, FALSE);
}

static gboolean
card_shows (GtkWidget  *card,
            const char *label)
{
  g_autofree char *text = card_text (card);
  g_autofree char *needle = g_strconcat ("|", label, "|", NULL);

  return strstr (text, needle) != NULL;
}

static GtkWidget *
find_card (const char *title)
{
  g_autoptr(GPtrArray) cards = get_cards ();

  for (guint i = 0; i < cards->len; i++)
    {
      EspyDevice *device = espy_device_card_get_device (g_ptr_array_index (cards, i));

      if (g_strcmp0 (espy_device_get_display_name (device), title) == 0)
        return g_ptr_array_index (cards, i);
    }

  return NULL;
}

static EspyDevice *
find_device (const char *name)
{
  return espy_device_store_lookup (espy_application_get_device_store (app), name);
}

static GtkWidget *
find_widget_of_type (GtkWidget *widget,
                     GType      type)
{
  if (G_TYPE_CHECK_INSTANCE_TYPE (widget, type))
    return widget;

  for (GtkWidget *child = gtk_widget_get_first_child (widget);
       child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found = find_widget_of_type (child, type);

      if (found != NULL)
        return found;
    }

  return NULL;
}

static gboolean
frame_drawn (gpointer data)
{
  return *(gboolean *) data;
}

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
  gulong id = 0;

  spin (ms);
  if (clock != NULL)
    {
      id = g_signal_connect (clock, "after-paint", G_CALLBACK (frame_cb), &drawn);
      gtk_widget_queue_draw (GTK_WIDGET (window));
      wait_until (frame_drawn, &drawn, 2000);
      g_signal_handler_disconnect (clock, id);
    }
}

/* Saves WIDGET as $ESPY_SCREENSHOTS_DIR/NAME.png when that is set. */
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

static guint
n_visible (void)
{
  return g_list_model_get_n_items (espy_window_get_visible_devices (window));
}

static GtkStack *
find_content_stack (GtkWidget *widget)
{
  if (GTK_IS_STACK (widget) && gtk_stack_get_child_by_name (GTK_STACK (widget), "no-results") != NULL)
    return GTK_STACK (widget);

  for (GtkWidget *child = gtk_widget_get_first_child (widget);
       child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkStack *found = find_content_stack (child);

      if (found != NULL)
        return found;
    }

  return NULL;
}

/* "devices", "empty" or "no-results" */
static const char *
content_page (void)
{
  GtkStack *stack = find_content_stack (GTK_WIDGET (window));

  g_assert_nonnull (stack);
  return gtk_stack_get_visible_child_name (stack);
}

/* --- conditions ----------------------------------------------------------- */

static gboolean
all_cards_ready (gpointer data)
{
  g_autoptr(GPtrArray) cards = get_cards ();
  guint online = 0;
  EspyDevice *attic;

  if (cards->len != 6)
    return FALSE;

  for (guint i = 0; i < cards->len; i++)
    if (espy_device_get_online (espy_device_card_get_device (g_ptr_array_index (cards, i))))
      online++;

  /* The store probes each device once: five answer, the attic fan does not. */
  attic = find_device ("attic-fan");
  return online == 5 && attic != NULL &&
         g_strcmp0 (espy_device_get_reachability (attic), "Not checked yet") != 0;
}

static gboolean
visible_is (gpointer data)
{
  return n_visible () == GPOINTER_TO_UINT (data);
}

static gboolean
cards_are (gpointer data)
{
  g_autoptr(GPtrArray) cards = get_cards ();

  return cards->len == GPOINTER_TO_UINT (data);
}

typedef struct {
  const char *title;
  const char *label;
} CardLabel;

static gboolean
card_label_shown (gpointer data)
{
  CardLabel *check = data;
  GtkWidget *card = find_card (check->title);

  return card != NULL && card_shows (card, check->label);
}

static gboolean
has_css_class_below (GtkWidget  *widget,
                     const char *css_class)
{
  if (gtk_widget_has_css_class (widget, css_class))
    return TRUE;

  for (GtkWidget *child = gtk_widget_get_first_child (widget);
       child != NULL;
       child = gtk_widget_get_next_sibling (child))
    if (has_css_class_below (child, css_class))
      return TRUE;

  return FALSE;
}

/* The Install button filled, with a percentage on it. */
static gboolean
card_progress_shown (gpointer data)
{
  GtkWidget *card = find_card (data);
  g_autofree char *text = NULL;

  if (card == NULL || !has_css_class_below (card, "install-progress"))
    return FALSE;

  text = card_text (card);
  return strstr (text, " %|") != NULL;
}

static gboolean
job_past_a_third (gpointer data)
{
  return espy_install_job_get_fraction (data) >= 0.34 || espy_install_job_is_final (data);
}

static gboolean
job_is_final (gpointer data)
{
  return espy_install_job_is_final (data);
}

/* --- tests ---------------------------------------------------------------- */

static void
test_cards (void)
{
  GtkWidget *card;

  set_window_size (1100, 720);
  g_assert_true (wait_until (all_cards_ready, NULL, 20000));

  g_assert_cmpuint (n_visible (), ==, 6);
  g_assert_cmpstr (content_page (), ==, "devices");

  /* Titles come from the friendly names, node names under them. */
  card = find_card ("Living Room Sensor");
  g_assert_nonnull (card);
  g_assert_true (card_shows (card, "living-room-sensor"));
  g_assert_true (card_shows (card, "127.0.0.1"));
  g_assert_true (card_shows (card, "ESP32 · esp32dev"));
  g_assert_true (card_shows (card, "ESPHome 2026.1.0"));
  g_assert_true (card_shows (card, "Update available"));
  g_assert_true (card_shows (card, "Online"));

  card = find_card ("Garage Door");
  g_assert_nonnull (card);
  g_assert_true (card_shows (card, "ESP8266 · d1_mini"));
  g_assert_true (card_shows (card, "ESPHome 2024.2.1"));
  g_assert_true (card_shows (card, "Update available"));

  /* Up to date: no badge. */
  card = find_card ("Greenhouse");
  g_assert_nonnull (card);
  g_assert_true (card_shows (card, "RP2040 · rpipicow"));
  g_assert_true (card_shows (card, "ESPHome " ESPY_DEMO_ESPHOME_VERSION));
  g_assert_false (card_shows (card, "Update available"));

  card = find_card ("Attic Fan");
  g_assert_nonnull (card);
  g_assert_true (card_shows (card, "Offline"));
  g_assert_false (card_shows (card, "Online"));
  g_assert_true (card_shows (card, "ESPHome 2025.2.0"));

  g_assert_nonnull (find_card ("Hallway Display"));
  g_assert_nonnull (find_card ("Workshop Plug"));

  save_screenshot (GTK_WIDGET (window), "main-window");
}

static void
test_filter (void)
{
  g_autoptr(GPtrArray) cards = NULL;

  gtk_widget_activate_action (GTK_WIDGET (window), "win.filter", "s", "offline");
  g_assert_true (wait_until (cards_are, GUINT_TO_POINTER (1), 5000));
  g_assert_cmpuint (n_visible (), ==, 1);
  cards = get_cards ();
  g_assert_cmpstr (espy_device_get_name (espy_device_card_get_device (g_ptr_array_index (cards, 0))),
                   ==, "attic-fan");
  save_screenshot (GTK_WIDGET (window), "filter-offline");

  gtk_widget_activate_action (GTK_WIDGET (window), "win.filter", "s", "online");
  g_assert_true (wait_until (cards_are, GUINT_TO_POINTER (5), 5000));
  g_assert_null (find_card ("Attic Fan"));

  /* Everything but the greenhouse runs an older ESPHome. */
  gtk_widget_activate_action (GTK_WIDGET (window), "win.filter", "s", "updates");
  g_assert_true (wait_until (cards_are, GUINT_TO_POINTER (5), 5000));
  g_assert_null (find_card ("Greenhouse"));

  /* No install failed yet. */
  gtk_widget_activate_action (GTK_WIDGET (window), "win.filter", "s", "failed");
  g_assert_true (wait_until (visible_is, GUINT_TO_POINTER (0), 5000));
  settle (100);
  g_assert_cmpstr (content_page (), ==, "no-results");

  gtk_widget_activate_action (GTK_WIDGET (window), "win.filter", "s", "all");
  g_assert_true (wait_until (cards_are, GUINT_TO_POINTER (6), 5000));
  g_assert_cmpstr (content_page (), ==, "devices");
}

static void
type_search (const char *text)
{
  GtkWidget *entry = find_widget_of_type (GTK_WIDGET (window), GTK_TYPE_SEARCH_ENTRY);

  gtk_editable_set_text (GTK_EDITABLE (entry), text);
}

static void
test_search (void)
{
  gtk_widget_activate_action (GTK_WIDGET (window), "win.search", NULL);
  g_assert_true (espy_window_get_search_mode (window));

  /* Platform */
  type_search ("esp8266");
  g_assert_true (wait_until (cards_are, GUINT_TO_POINTER (1), 5000));
  g_assert_nonnull (find_card ("Garage Door"));

  /* Board and name, any case */
  type_search ("ESP32-S3");
  g_assert_true (wait_until (cards_are, GUINT_TO_POINTER (1), 5000));
  g_assert_nonnull (find_card ("Hallway Display"));

  /* Display name */
  type_search ("room");
  g_assert_true (wait_until (cards_are, GUINT_TO_POINTER (1), 5000));
  g_assert_nonnull (find_card ("Living Room Sensor"));
  save_screenshot (GTK_WIDGET (window), "search");

  /* Search and filter together */
  type_search ("esp32");
  g_assert_true (wait_until (cards_are, GUINT_TO_POINTER (4), 5000));
  gtk_widget_activate_action (GTK_WIDGET (window), "win.filter", "s", "offline");
  g_assert_true (wait_until (cards_are, GUINT_TO_POINTER (1), 5000));
  g_assert_nonnull (find_card ("Attic Fan"));
  gtk_widget_activate_action (GTK_WIDGET (window), "win.filter", "s", "all");

  type_search ("no such device");
  g_assert_true (wait_until (visible_is, GUINT_TO_POINTER (0), 5000));
  settle (100);
  g_assert_cmpstr (content_page (), ==, "no-results");
  save_screenshot (GTK_WIDGET (window), "no-results");

  /* Closing the search shows everything again. */
  gtk_widget_activate_action (GTK_WIDGET (window), "win.search", NULL);
  g_assert_false (espy_window_get_search_mode (window));
  g_assert_true (wait_until (cards_are, GUINT_TO_POINTER (6), 5000));
}

static EspyInstallJob *
start_install (const char *name)
{
  EspyDevice *device = find_device (name);
  g_autoptr(GFile) firmware = NULL;
  g_autoptr(EspyFirmwareImage) image = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *password = NULL;
  EspyInstallJob *job;

  g_assert_nonnull (device);
  firmware = espy_application_dup_firmware (app, device);
  g_assert_nonnull (firmware);
  image = espy_firmware_image_load (firmware, NULL, &error);
  g_assert_no_error (error);

  job = espy_install_job_new (device, image);
  password = espy_application_dup_ota_password (app, device);
  espy_install_job_set_password (job, password);
  espy_install_job_set_transport (job, ESPY_INSTALL_TRANSPORT_OTA);
  g_assert_true (espy_install_manager_start (espy_application_get_install_manager (app), job, &error));
  g_assert_no_error (error);

  return job;
}

static void
test_install (void)
{
  g_autoptr(EspyInstallJob) job = NULL;
  g_autoptr(EspyInstallJob) failing = NULL;
  CardLabel new_version = { "Living Room Sensor", "ESPHome " ESPY_DEMO_ESPHOME_VERSION };
  CardLabel failed = { "Workshop Plug", "Update failed" };
  GtkWidget *card;

  job = start_install ("living-room-sensor");

  /* The Install button turns into a progress bar. */
  g_assert_true (wait_until (card_progress_shown, (gpointer) "Living Room Sensor", 20000));
  g_assert_true (wait_until (job_past_a_third, job, 20000));
  save_screenshot (GTK_WIDGET (window), "install-progress");

  g_assert_true (wait_until (job_is_final, job, 90000));
  g_assert_cmpint (espy_install_job_get_state (job), ==, ESPY_INSTALL_STATE_SUCCEEDED);

  /* Back with the new version: the badge is gone, the result is shown. */
  g_assert_true (wait_until (card_label_shown, &new_version, 10000));
  card = find_card ("Living Room Sensor");
  g_assert_false (card_shows (card, "Update available"));
  g_assert_false (card_progress_shown ((gpointer) "Living Room Sensor"));
  {
    g_autofree char *text = card_text (card);
    g_assert_nonnull (strstr (text, "|Installed "));
  }

  /* A device error at prepare: the card says the update failed. */
  failing = start_install ("workshop-plug");
  g_assert_true (wait_until (job_is_final, failing, 90000));
  g_assert_cmpint (espy_install_job_get_state (failing), ==, ESPY_INSTALL_STATE_FAILED);
  g_assert_true (wait_until (card_label_shown, &failed, 10000));

  gtk_widget_activate_action (GTK_WIDGET (window), "win.filter", "s", "failed");
  g_assert_true (wait_until (cards_are, GUINT_TO_POINTER (1), 5000));
  g_assert_nonnull (find_card ("Workshop Plug"));
  gtk_widget_activate_action (GTK_WIDGET (window), "win.filter", "s", "all");
  g_assert_true (wait_until (cards_are, GUINT_TO_POINTER (6), 5000));
  save_screenshot (GTK_WIDGET (window), "after-install");
}

static gboolean
leaflet_settled (gpointer data)
{
  AdwLeaflet *leaflet = data;

  return !adw_leaflet_get_child_transition_running (leaflet);
}

static void
test_device_page (void)
{
  AdwLeaflet *leaflet = ADW_LEAFLET (find_widget_of_type (GTK_WIDGET (window), ADW_TYPE_LEAFLET));

  /* Wide: the page beside the grid. */
  set_window_size (1100, 720);
  espy_window_show_device (window, find_device ("hallway-display"));
  g_assert_true (wait_until (leaflet_settled, leaflet, 5000));
  g_assert_false (adw_leaflet_get_folded (leaflet));
  save_screenshot (GTK_WIDGET (window), "device-page-wide");

  /* Narrow: the leaflet folds and shows the page alone, with a back button. */
  set_window_size (360, 720);
  g_assert_true (adw_leaflet_get_folded (leaflet));
  g_assert_true (wait_until (leaflet_settled, leaflet, 5000));
  g_assert_cmpstr (adw_leaflet_get_visible_child_name (leaflet), ==, "device");
  save_screenshot (GTK_WIDGET (window), "device-page-narrow");

  gtk_widget_activate_action (GTK_WIDGET (window), "win.back", NULL);
  settle (100);
  g_assert_true (wait_until (leaflet_settled, leaflet, 5000));
  g_assert_cmpstr (adw_leaflet_get_visible_child_name (leaflet), ==, "devices");
  {
    GtkWidget *grid = find_widget_of_type (GTK_WIDGET (window), GTK_TYPE_GRID_VIEW);
    GtkAdjustment *vadjustment = gtk_scrollable_get_vadjustment (GTK_SCROLLABLE (grid));

    gtk_adjustment_set_value (vadjustment, 0);
  }
  save_screenshot (GTK_WIDGET (window), "main-window-narrow");

  set_window_size (1100, 720);
}

static GtkWidget *
find_toplevel (GType type)
{
  GListModel *toplevels = gtk_window_get_toplevels ();
  guint n = g_list_model_get_n_items (toplevels);

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(GtkWidget) toplevel = g_list_model_get_item (toplevels, i);

      if (G_TYPE_CHECK_INSTANCE_TYPE (toplevel, type) && gtk_widget_get_visible (toplevel))
        return toplevel;
    }

  return NULL;
}

static void
test_dialogs (void)
{
  GtkWidget *dialog;

  /* Ctrl+N's action: the Add Device dialog, Add disabled until valid. */
  gtk_widget_activate_action (GTK_WIDGET (window), "win.add-device", NULL);
  settle (300);
  dialog = find_toplevel (ADW_TYPE_MESSAGE_DIALOG);
  g_assert_nonnull (dialog);
  g_assert_false (adw_message_dialog_get_response_enabled (ADW_MESSAGE_DIALOG (dialog), "add"));
  save_screenshot (dialog, "add-device");
  gtk_window_close (GTK_WINDOW (dialog));

  g_action_group_activate_action (G_ACTION_GROUP (app), "preferences", NULL);
  settle (300);
  dialog = find_toplevel (ADW_TYPE_PREFERENCES_WINDOW);
  g_assert_nonnull (dialog);
  save_screenshot (dialog, "preferences");
  gtk_window_close (GTK_WINDOW (dialog));
  settle (100);
}

static void
test_empty (void)
{
  EspyDeviceStore *store = espy_application_get_device_store (app);

  /* Without the simulated devices the window explains what to do. */
  set_window_size (900, 640);
  espy_demo_stop (espy_application_get_demo (app));
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (store)), ==, 0);
  settle (200);
  g_assert_cmpstr (content_page (), ==, "empty");
  save_screenshot (GTK_WIDGET (window), "main-window-empty");
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
  const char *build_dir = g_getenv ("G_TEST_BUILDDIR");
  GList *windows;
  int ret;

  g_setenv ("GSK_RENDERER", "cairo", FALSE);
  g_setenv ("GSETTINGS_BACKEND", "memory", TRUE);
  g_setenv ("GIO_USE_PROXY_RESOLVER", "dummy", FALSE);
  g_setenv ("NO_AT_BRIDGE", "1", FALSE);
  /* The build tree's compiled schema (data/), when the test runs from it. */
  if (build_dir != NULL && g_getenv ("GSETTINGS_SCHEMA_DIR") == NULL)
    {
      schema_dir = g_build_filename (build_dir, "..", "data", NULL);
      if (g_file_test (schema_dir, G_FILE_TEST_IS_DIR))
        g_setenv ("GSETTINGS_SCHEMA_DIR", schema_dir, TRUE);
    }

  g_test_init (&argc, &argv, NULL);

  if (!gtk_init_check ())
    {
      g_test_add_func ("/ui/window/no-display", test_no_display);
      return g_test_run ();
    }

  /* GNOME's title buttons, so narrow screenshots look as they do there. */
  g_object_set (gtk_settings_get_default (), "gtk-decoration-layout", "appmenu:close", NULL);

  app = espy_application_new ();
  /* In-process, no D-Bus name: the test never talks to another instance. */
  g_application_set_flags (G_APPLICATION (app),
                           G_APPLICATION_NON_UNIQUE | G_APPLICATION_HANDLES_COMMAND_LINE);
  if (!g_application_register (G_APPLICATION (app), NULL, &error))
    g_error ("Could not register the application: %s", error->message);
  espy_application_set_demo_mode (app, TRUE);
  g_application_activate (G_APPLICATION (app));

  windows = gtk_application_get_windows (GTK_APPLICATION (app));
  g_assert_nonnull (windows);
  window = ESPY_WINDOW (windows->data);

  g_test_add_func ("/ui/window/cards", test_cards);
  g_test_add_func ("/ui/window/filter", test_filter);
  g_test_add_func ("/ui/window/search", test_search);
  g_test_add_func ("/ui/window/install", test_install);
  g_test_add_func ("/ui/window/device-page", test_device_page);
  g_test_add_func ("/ui/window/dialogs", test_dialogs);
  g_test_add_func ("/ui/window/empty", test_empty);

  ret = g_test_run ();

  gtk_window_destroy (GTK_WINDOW (window));
  g_application_quit (G_APPLICATION (app));
  g_clear_object (&app);

  return ret;
}
