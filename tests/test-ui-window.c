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
#include "espy-recent-problems.h"
#include "espy-sim-device.h"
#include "espy-troubleshoot-page.h"
#include "espy-window.h"
#include "ui-test-util.h"

#define PORCH_OLD_VERSION "2025.10.0"

static EspyApplication *app;
static EspyWindow *window;

/* --- helpers -------------------------------------------------------------- */

/* The cards the grid shows (bound to a device). */
static GPtrArray *
get_cards (void)
{
  GPtrArray *cards = g_ptr_array_new ();

  ui_test_collect_cards (GTK_WIDGET (window), cards);
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

static EspyDevice *
find_device (const char *name)
{
  return espy_device_store_lookup (espy_application_get_device_store (app), name);
}

static void
set_window_size (int width,
                 int height)
{
  gtk_window_unmaximize (GTK_WINDOW (window));
  gtk_window_set_default_size (GTK_WINDOW (window), width, height);
  ui_test_settle (GTK_WIDGET (window), 400);
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
  GtkWidget *card = ui_test_find_card (GTK_WIDGET (window), check->title);

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
  GtkWidget *card = ui_test_find_card (GTK_WIDGET (window), data);
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
  g_assert_true (ui_test_wait_until (all_cards_ready, NULL, 20000));

  g_assert_cmpuint (n_visible (), ==, 6);
  g_assert_cmpstr (content_page (), ==, "devices");

  /* Titles come from the friendly names, node names under them. */
  card = ui_test_find_card (GTK_WIDGET (window), "Living Room Sensor");
  g_assert_nonnull (card);
  g_assert_true (card_shows (card, "living-room-sensor"));
  g_assert_true (card_shows (card, "127.0.0.1"));
  g_assert_true (card_shows (card, "ESP32 · esp32dev"));
  g_assert_true (card_shows (card, "ESPHome 2026.1.0"));
  g_assert_true (card_shows (card, "Update available"));
  g_assert_true (card_shows (card, "Online"));

  card = ui_test_find_card (GTK_WIDGET (window), "Garage Door");
  g_assert_nonnull (card);
  g_assert_true (card_shows (card, "ESP8266 · d1_mini"));
  g_assert_true (card_shows (card, "ESPHome 2024.2.1"));
  g_assert_true (card_shows (card, "Update available"));

  /* Up to date: no badge. */
  card = ui_test_find_card (GTK_WIDGET (window), "Greenhouse");
  g_assert_nonnull (card);
  g_assert_true (card_shows (card, "RP2040 · rpipicow"));
  g_assert_true (card_shows (card, "ESPHome " ESPY_DEMO_ESPHOME_VERSION));
  g_assert_false (card_shows (card, "Update available"));

  card = ui_test_find_card (GTK_WIDGET (window), "Attic Fan");
  g_assert_nonnull (card);
  g_assert_true (card_shows (card, "Offline"));
  g_assert_false (card_shows (card, "Online"));
  g_assert_true (card_shows (card, "ESPHome 2025.2.0"));

  g_assert_nonnull (ui_test_find_card (GTK_WIDGET (window), "Hallway Display"));
  g_assert_nonnull (ui_test_find_card (GTK_WIDGET (window), "Workshop Plug"));

  ui_test_screenshot (GTK_WIDGET (window), "main-window");
}

static void
test_filter (void)
{
  g_autoptr(GPtrArray) cards = NULL;

  gtk_widget_activate_action (GTK_WIDGET (window), "win.filter", "s", "offline");
  g_assert_true (ui_test_wait_until (cards_are, GUINT_TO_POINTER (1), 5000));
  g_assert_cmpuint (n_visible (), ==, 1);
  cards = get_cards ();
  g_assert_cmpstr (espy_device_get_name (espy_device_card_get_device (g_ptr_array_index (cards, 0))),
                   ==, "attic-fan");
  ui_test_screenshot (GTK_WIDGET (window), "filter-offline");

  gtk_widget_activate_action (GTK_WIDGET (window), "win.filter", "s", "online");
  g_assert_true (ui_test_wait_until (cards_are, GUINT_TO_POINTER (5), 5000));
  g_assert_null (ui_test_find_card (GTK_WIDGET (window), "Attic Fan"));

  /* Everything but the greenhouse runs an older ESPHome. */
  gtk_widget_activate_action (GTK_WIDGET (window), "win.filter", "s", "updates");
  g_assert_true (ui_test_wait_until (cards_are, GUINT_TO_POINTER (5), 5000));
  g_assert_null (ui_test_find_card (GTK_WIDGET (window), "Greenhouse"));

  /* No install failed yet. */
  gtk_widget_activate_action (GTK_WIDGET (window), "win.filter", "s", "failed");
  g_assert_true (ui_test_wait_until (visible_is, GUINT_TO_POINTER (0), 5000));
  ui_test_settle (GTK_WIDGET (window), 100);
  g_assert_cmpstr (content_page (), ==, "no-results");

  gtk_widget_activate_action (GTK_WIDGET (window), "win.filter", "s", "all");
  g_assert_true (ui_test_wait_until (cards_are, GUINT_TO_POINTER (6), 5000));
  g_assert_cmpstr (content_page (), ==, "devices");
}

static void
type_search (const char *text)
{
  GtkWidget *entry = ui_test_find_type (GTK_WIDGET (window), GTK_TYPE_SEARCH_ENTRY);

  gtk_editable_set_text (GTK_EDITABLE (entry), text);
}

static void
test_search (void)
{
  gtk_widget_activate_action (GTK_WIDGET (window), "win.search", NULL);
  g_assert_true (espy_window_get_search_mode (window));

  /* Platform */
  type_search ("esp8266");
  g_assert_true (ui_test_wait_until (cards_are, GUINT_TO_POINTER (1), 5000));
  g_assert_nonnull (ui_test_find_card (GTK_WIDGET (window), "Garage Door"));

  /* Board and name, any case */
  type_search ("ESP32-S3");
  g_assert_true (ui_test_wait_until (cards_are, GUINT_TO_POINTER (1), 5000));
  g_assert_nonnull (ui_test_find_card (GTK_WIDGET (window), "Hallway Display"));

  /* Display name */
  type_search ("room");
  g_assert_true (ui_test_wait_until (cards_are, GUINT_TO_POINTER (1), 5000));
  g_assert_nonnull (ui_test_find_card (GTK_WIDGET (window), "Living Room Sensor"));
  ui_test_screenshot (GTK_WIDGET (window), "search");

  /* Search and filter together */
  type_search ("esp32");
  g_assert_true (ui_test_wait_until (cards_are, GUINT_TO_POINTER (4), 5000));
  gtk_widget_activate_action (GTK_WIDGET (window), "win.filter", "s", "offline");
  g_assert_true (ui_test_wait_until (cards_are, GUINT_TO_POINTER (1), 5000));
  g_assert_nonnull (ui_test_find_card (GTK_WIDGET (window), "Attic Fan"));
  gtk_widget_activate_action (GTK_WIDGET (window), "win.filter", "s", "all");

  type_search ("no such device");
  g_assert_true (ui_test_wait_until (visible_is, GUINT_TO_POINTER (0), 5000));
  ui_test_settle (GTK_WIDGET (window), 100);
  g_assert_cmpstr (content_page (), ==, "no-results");
  ui_test_screenshot (GTK_WIDGET (window), "no-results");

  /* Closing the search shows everything again. */
  gtk_widget_activate_action (GTK_WIDGET (window), "win.search", NULL);
  g_assert_false (espy_window_get_search_mode (window));
  g_assert_true (ui_test_wait_until (cards_are, GUINT_TO_POINTER (6), 5000));
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
  g_assert_true (ui_test_wait_until (card_progress_shown, (gpointer) "Living Room Sensor", 20000));
  g_assert_true (ui_test_wait_until (job_past_a_third, job, 20000));
  ui_test_screenshot (GTK_WIDGET (window), "install-progress");

  g_assert_true (ui_test_wait_until (job_is_final, job, 90000));
  g_assert_cmpint (espy_install_job_get_state (job), ==, ESPY_INSTALL_STATE_SUCCEEDED);

  /* Back with the new version: the badge is gone, the result is shown. */
  g_assert_true (ui_test_wait_until (card_label_shown, &new_version, 10000));
  card = ui_test_find_card (GTK_WIDGET (window), "Living Room Sensor");
  g_assert_false (card_shows (card, "Update available"));
  g_assert_false (card_progress_shown ((gpointer) "Living Room Sensor"));
  {
    g_autofree char *text = card_text (card);
    g_assert_nonnull (strstr (text, "|Installed "));
  }

  /* A device error at prepare: the card says the update failed. */
  failing = start_install ("workshop-plug");
  g_assert_true (ui_test_wait_until (job_is_final, failing, 90000));
  g_assert_cmpint (espy_install_job_get_state (failing), ==, ESPY_INSTALL_STATE_FAILED);
  g_assert_true (ui_test_wait_until (card_label_shown, &failed, 10000));

  gtk_widget_activate_action (GTK_WIDGET (window), "win.filter", "s", "failed");
  g_assert_true (ui_test_wait_until (cards_are, GUINT_TO_POINTER (1), 5000));
  g_assert_nonnull (ui_test_find_card (GTK_WIDGET (window), "Workshop Plug"));
  gtk_widget_activate_action (GTK_WIDGET (window), "win.filter", "s", "all");
  g_assert_true (ui_test_wait_until (cards_are, GUINT_TO_POINTER (6), 5000));
  ui_test_screenshot (GTK_WIDGET (window), "after-install");
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
  AdwLeaflet *leaflet = ADW_LEAFLET (ui_test_find_type (GTK_WIDGET (window), ADW_TYPE_LEAFLET));

  /* Wide: the page beside the grid. */
  set_window_size (1100, 720);
  espy_window_show_device (window, find_device ("hallway-display"));
  g_assert_true (ui_test_wait_until (leaflet_settled, leaflet, 5000));
  g_assert_false (adw_leaflet_get_folded (leaflet));
  ui_test_screenshot (GTK_WIDGET (window), "device-page-wide");

  /* Narrow: the leaflet folds and shows the page alone, with a back button. */
  set_window_size (360, 720);
  g_assert_true (adw_leaflet_get_folded (leaflet));
  g_assert_true (ui_test_wait_until (leaflet_settled, leaflet, 5000));
  g_assert_cmpstr (adw_leaflet_get_visible_child_name (leaflet), ==, "device");
  ui_test_screenshot (GTK_WIDGET (window), "device-page-narrow");

  gtk_widget_activate_action (GTK_WIDGET (window), "win.back", NULL);
  ui_test_settle (GTK_WIDGET (window), 100);
  g_assert_true (ui_test_wait_until (leaflet_settled, leaflet, 5000));
  g_assert_cmpstr (adw_leaflet_get_visible_child_name (leaflet), ==, "devices");
  {
    GtkWidget *grid = ui_test_find_type (GTK_WIDGET (window), GTK_TYPE_GRID_VIEW);
    GtkAdjustment *vadjustment = gtk_scrollable_get_vadjustment (GTK_SCROLLABLE (grid));

    gtk_adjustment_set_value (vadjustment, 0);
  }
  ui_test_screenshot (GTK_WIDGET (window), "main-window-narrow");

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
  ui_test_settle (GTK_WIDGET (window), 300);
  dialog = find_toplevel (ADW_TYPE_MESSAGE_DIALOG);
  g_assert_nonnull (dialog);
  g_assert_false (adw_message_dialog_get_response_enabled (ADW_MESSAGE_DIALOG (dialog), "add"));
  ui_test_screenshot (dialog, "add-device");
  gtk_window_close (GTK_WINDOW (dialog));

  g_action_group_activate_action (G_ACTION_GROUP (app), "preferences", NULL);
  ui_test_settle (GTK_WIDGET (window), 300);
  dialog = find_toplevel (ADW_TYPE_PREFERENCES_WINDOW);
  g_assert_nonnull (dialog);
  ui_test_screenshot (dialog, "preferences");
  gtk_window_close (GTK_WINDOW (dialog));
  ui_test_settle (GTK_WIDGET (window), 100);
}


/* --- Update All ------------------------------------------------------------- */

/* A visible label under WIDGET whose text starts with PREFIX. */
static GtkLabel *
find_label_prefix (GtkWidget  *widget,
                   const char *prefix)
{
  if (!gtk_widget_get_visible (widget))
    return NULL;
  if (GTK_IS_LABEL (widget) && g_str_has_prefix (gtk_label_get_text (GTK_LABEL (widget)), prefix))
    return GTK_LABEL (widget);
  for (GtkWidget *child = gtk_widget_get_first_child (widget);
       child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkLabel *found = find_label_prefix (child, prefix);

      if (found != NULL)
        return found;
    }
  return NULL;
}

static GtkWidget *
find_widget_named (GtkWidget  *widget,
                   const char *name)
{
  if (g_strcmp0 (gtk_widget_get_name (widget), name) == 0)
    return widget;
  for (GtkWidget *child = gtk_widget_get_first_child (widget);
       child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found = find_widget_named (child, name);

      if (found != NULL)
        return found;
    }
  return NULL;
}

static gboolean
label_prefix_shown (gpointer data)
{
  return find_label_prefix (GTK_WIDGET (window), data) != NULL;
}

/* The sandbox's X screen, as `import -window root` sees it (the brief's
 * way to include popovers and dialogs, which are surfaces of their own). */
static void
save_root_screenshot (const char *name)
{
  const char *dir = g_getenv ("ESPY_SCREENSHOTS_DIR");
  g_autofree char *program = g_find_program_in_path ("import");
  g_autofree char *file_name = NULL;
  g_autofree char *path = NULL;
  g_autoptr(GError) error = NULL;
  int status = 0;

  if (dir == NULL || *dir == '\0' || program == NULL)
    return;
  ui_test_settle (GTK_WIDGET (window), 300);
  g_mkdir_with_parents (dir, 0755);
  file_name = g_strconcat (name, ".png", NULL);
  path = g_build_filename (dir, file_name, NULL);
  {
    const char *argv[] = { program, "-window", "root", path, NULL };

    if (!g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, NULL, NULL, &status, &error))
      g_test_message ("import failed: %s", error->message);
    else
      g_test_message ("screenshot: %s", path);
  }
}

/* The "porch" device: an in-process simulator whose YAML sits in a
 * configuration folder, so Update All builds it with the esphome stand-in. */
typedef struct {
  EspySimDevice *sim;
  char          *dir;
} Porch;

static Porch porch;

static void
announce_porch (const char *version)
{
  g_autoptr(EspyDeviceInfo) info = espy_device_info_new ();

  espy_device_info_set_name (info, "porch");
  espy_device_info_add_address (info, "127.0.0.1");
  espy_device_info_set_platform (info, "ESP32");
  espy_device_info_set_board (info, "esp32dev");
  espy_device_info_set_version (info, version);
  info->ota_port = espy_sim_device_get_ota_port (porch.sim);
  espy_device_store_update (espy_application_get_device_store (app), ESPY_DEVICE_SOURCE_MDNS, "porch", info);
}

/* mDNS sees the device again after its reboot, with what it runs now. */
static void
porch_state_cb (EspySimDevice *sim,
                guint          state,
                gpointer       data)
{
  if (state == ESPY_SIM_STATE_RUNNING && espy_sim_device_get_upload_count (sim) > 0)
    announce_porch (espy_sim_device_get_version (sim));
}

static void
folder_opened_cb (GObject      *object,
                  GAsyncResult *result,
                  gpointer      data)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (espy_application_open_config_folder_finish (ESPY_APPLICATION (object), result, &error));
  g_assert_no_error (error);
  *(gboolean *) data = TRUE;
}

static gboolean
porch_ready (gpointer data)
{
  EspyDevice *device = find_device ("porch");

  return device != NULL && espy_device_get_online (device) && espy_device_get_update_available (device);
}

static void
start_porch (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GFile) folder = NULL;
  g_autofree char *yaml = NULL;
  g_autofree char *path = NULL;
  gboolean opened = FALSE;

  porch.sim = espy_sim_device_new ("porch");
  espy_sim_device_set_platform (porch.sim, "ESP32");
  espy_sim_device_set_version (porch.sim, PORCH_OLD_VERSION);
  espy_sim_device_set_boot_ms (porch.sim, 200);
  g_signal_connect (porch.sim, "state-changed", G_CALLBACK (porch_state_cb), NULL);
  g_assert_true (espy_sim_device_start (porch.sim, &error));
  g_assert_no_error (error);

  porch.dir = g_dir_make_tmp ("espy-ui-folder-XXXXXX", &error);
  g_assert_no_error (error);
  yaml = g_strdup_printf ("esphome:\n  name: porch\n\nesp32:\n  board: esp32dev\n\n"
                          "wifi:\n  use_address: 127.0.0.1\n\n"
                          "ota:\n  - platform: esphome\n    port: %u\n",
                          (guint) espy_sim_device_get_ota_port (porch.sim));
  path = g_build_filename (porch.dir, "porch.yaml", NULL);
  g_assert_true (g_file_set_contents (path, yaml, -1, &error));
  g_assert_no_error (error);

  folder = g_file_new_for_path (porch.dir);
  espy_application_open_config_folder_async (app, folder, NULL, folder_opened_cb, &opened);
  g_assert_true (ui_test_wait_until (ui_test_flag_set, &opened, 10000));
  announce_porch (PORCH_OLD_VERSION);
  g_assert_true (ui_test_wait_until (porch_ready, NULL, 10000));
}

static EspyInstallJob *
last_job (const char *name)
{
  return espy_install_manager_lookup_last (espy_application_get_install_manager (app), name);
}

static AdwMessageDialog *
open_update_all_dialog (void)
{
  GtkWidget *dialog;

  ui_test_settle (GTK_WIDGET (window), 300);  /* the Update All state is updated after a short delay */
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.update-all", NULL));
  ui_test_settle (GTK_WIDGET (window), 300);
  dialog = find_toplevel (ADW_TYPE_MESSAGE_DIALOG);
  g_assert_nonnull (dialog);
  return ADW_MESSAGE_DIALOG (dialog);
}

static void
answer (AdwMessageDialog *dialog,
        const char       *response)
{
  adw_message_dialog_response (dialog, response);
  gtk_window_close (GTK_WINDOW (dialog));
  gtk_window_present (GTK_WINDOW (window));
  ui_test_settle (GTK_WIDGET (window), 100);
}

static void
test_update_all (void)
{
  EspyUpdateSummary expected = { 0 };
  g_autofree char *counts = NULL;
  g_autofree char *finished = NULL;
  AdwMessageDialog *dialog;
  GtkWidget *skip;
  GtkWidget *wait;
  GtkLabel *label;
  EspyInstallJob *job;

  set_window_size (1100, 720);
  start_porch ();

  /* After the install test: garage door, hallway display and workshop plug
   * (demo images), porch (its YAML), attic fan (offline). */
  dialog = open_update_all_dialog ();
  g_assert_cmpstr (adw_message_dialog_get_heading (dialog), ==, "Update 5 Devices?");
  g_assert_nonnull (strstr (adw_message_dialog_get_body (dialog), "1 of them is offline: Attic Fan."));
  g_assert_nonnull (strstr (adw_message_dialog_get_body (dialog), "built with ESPHome"));
  skip = find_widget_named (GTK_WIDGET (dialog), "update-offline-skip");
  wait = find_widget_named (GTK_WIDGET (dialog), "update-offline-wait");
  g_assert_nonnull (skip);
  g_assert_nonnull (wait);
  g_assert_true (gtk_check_button_get_active (GTK_CHECK_BUTTON (skip)));
  g_assert_false (gtk_check_button_get_active (GTK_CHECK_BUTTON (wait)));
  ui_test_screenshot (GTK_WIDGET (dialog), "update-all-confirm");
  save_root_screenshot ("shot-update-all-confirm");
  answer (dialog, "update");

  /* Progress in the banner, with Cancel; per device on the cards. */
  g_assert_true (ui_test_wait_until (label_prefix_shown, (gpointer) "Updating 5 devices", 5000));
  g_assert_nonnull (find_label_prefix (GTK_WIDGET (window), "Cancel"));
  g_assert_true (ui_test_wait_until (card_progress_shown, (gpointer) "Garage Door", 20000));
  ui_test_screenshot (GTK_WIDGET (window), "update-all-running");

  expected.n_succeeded = 3;
  expected.n_failed = 1;
  expected.n_skipped = 1;
  counts = espy_update_summary_to_string (&expected);
  finished = g_strdup_printf ("Update All finished: %s", counts);
  g_assert_true (ui_test_wait_until (label_prefix_shown, (gpointer) "Update All finished", 150000));
  label = find_label_prefix (GTK_WIDGET (window), "Update All finished");
  g_assert_cmpstr (gtk_label_get_text (label), ==, finished);
  ui_test_screenshot (GTK_WIDGET (window), "update-all-summary");

  /* The porch was built from its YAML by the stand-in, then installed. */
  job = last_job ("porch");
  g_assert_nonnull (job);
  g_assert_cmpint (espy_install_job_get_state (job), ==, ESPY_INSTALL_STATE_SUCCEEDED);
  g_assert_true (espy_install_job_get_attempt (job)->built);
  g_assert_cmpuint (espy_sim_device_get_upload_count (porch.sim), ==, 1);
  g_assert_cmpint (espy_install_job_get_state (last_job ("workshop-plug")), ==, ESPY_INSTALL_STATE_FAILED);
  g_assert_cmpint (espy_install_job_get_state (last_job ("garage-door")), ==, ESPY_INSTALL_STATE_SUCCEEDED);
  /* Skipped: no job at all. */
  g_assert_null (last_job ("attic-fan"));

  gtk_widget_activate_action (GTK_WIDGET (window), "win.dismiss-update-all", NULL);
  ui_test_settle (GTK_WIDGET (window), 400);
}

static gboolean
job_ended (gpointer data)
{
  EspyInstallJob *job = last_job (data);

  return job != NULL && espy_install_job_is_final (job);
}

/* Waiting for the offline device, then Cancel. */
static void
test_update_all_cancel (void)
{
  EspyUpdateSummary expected = { 0 };
  g_autofree char *counts = NULL;
  g_autofree char *cancelled = NULL;
  AdwMessageDialog *dialog;
  GtkWidget *wait;
  guint n_workshop_jobs = 0;
  GListModel *jobs = espy_install_manager_get_jobs (espy_application_get_install_manager (app));

  /* What is left: the workshop plug (fails again) and the attic fan. */
  espy_install_manager_clear_finished (espy_application_get_install_manager (app));
  dialog = open_update_all_dialog ();
  g_assert_cmpstr (adw_message_dialog_get_heading (dialog), ==, "Update 2 Devices?");
  wait = find_widget_named (GTK_WIDGET (dialog), "update-offline-wait");
  gtk_check_button_set_active (GTK_CHECK_BUTTON (wait), TRUE);
  answer (dialog, "update");

  g_assert_true (ui_test_wait_until (job_ended, (gpointer) "workshop-plug", 60000));
  ui_test_settle (GTK_WIDGET (window), 200);
  /* Still waiting for the attic fan. */
  g_assert_true (label_prefix_shown ((gpointer) "Updating 2 devices"));
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.cancel-update-all", NULL));

  expected.n_failed = 1;
  expected.n_cancelled = 1;
  counts = espy_update_summary_to_string (&expected);
  cancelled = g_strdup_printf ("Update All cancelled: %s", counts);
  g_assert_true (ui_test_wait_until (label_prefix_shown, (gpointer) "Update All cancelled", 10000));
  g_assert_cmpstr (gtk_label_get_text (find_label_prefix (GTK_WIDGET (window), "Update All cancelled")),
                   ==, cancelled);
  for (guint i = 0; i < g_list_model_get_n_items (jobs); i++)
    {
      g_autoptr(EspyInstallJob) job = g_list_model_get_item (jobs, i);

      if (g_strcmp0 (espy_install_job_get_device_name (job), "workshop-plug") == 0)
        n_workshop_jobs++;
      g_assert_cmpstr (espy_install_job_get_device_name (job), !=, "attic-fan");
    }
  g_assert_cmpuint (n_workshop_jobs, ==, 1);
  gtk_widget_activate_action (GTK_WIDGET (window), "win.dismiss-update-all", NULL);
  ui_test_settle (GTK_WIDGET (window), 300);
}

/* --- Recent problems ---------------------------------------------------------- */

static GtkWidget *
find_troubleshoot_page (void)
{
  GListModel *toplevels = gtk_window_get_toplevels ();

  for (guint i = 0; i < g_list_model_get_n_items (toplevels); i++)
    {
      g_autoptr(GtkWidget) toplevel = g_list_model_get_item (toplevels, i);
      GtkWidget *page;

      if (!gtk_widget_get_visible (toplevel))
        continue;
      page = ui_test_find_type (toplevel, ESPY_TYPE_TROUBLESHOOT_PAGE);
      if (page != NULL)
        return page;
    }
  return NULL;
}

static gboolean
troubleshoot_shown (gpointer data)
{
  return find_troubleshoot_page () != NULL;
}

static void
collect_rows (GtkWidget *widget,
              GPtrArray *rows)
{
  if (ADW_IS_ACTION_ROW (widget) && gtk_list_box_row_get_activatable (GTK_LIST_BOX_ROW (widget)))
    g_ptr_array_add (rows, widget);
  for (GtkWidget *child = gtk_widget_get_first_child (widget);
       child != NULL;
       child = gtk_widget_get_next_sibling (child))
    collect_rows (child, rows);
}

static void
test_recent_problems (void)
{
  EspyHistory *history = espy_application_get_history (app);
  g_autoptr(GPtrArray) problems = espy_history_list_problems (history, NULL, 10);
  g_autoptr(GPtrArray) rows = g_ptr_array_new ();
  GtkMenuButton *button = NULL;
  GtkWidget *list;
  GtkWidget *page;
  EspyInstallAttempt *older = NULL;
  GtkWidget *older_row = NULL;
  EspyInstallAttempt *shown;

  /* The workshop plug failed in the install and Update All tests. */
  g_assert_cmpuint (problems->len, >=, 2);
  list = ui_test_find_type (GTK_WIDGET (window), ESPY_TYPE_RECENT_PROBLEMS);
  g_assert_nonnull (list);
  g_assert_cmpuint (espy_recent_problems_get_n_rows (ESPY_RECENT_PROBLEMS (list)), ==, problems->len);
  for (GtkWidget *w = list; w != NULL; w = gtk_widget_get_parent (w))
    if (GTK_IS_MENU_BUTTON (w))
      button = GTK_MENU_BUTTON (w);
  g_assert_nonnull (button);
  g_assert_true (gtk_widget_get_visible (GTK_WIDGET (button)));

  gtk_menu_button_popup (button);
  ui_test_settle (GTK_WIDGET (window), 400);
  g_assert_true (gtk_widget_get_mapped (list));
  save_root_screenshot ("shot-recent-problems");

  /* The second-newest workshop failure: the page must show that one, not
   * only the device's latest. */
  collect_rows (list, rows);
  g_assert_cmpuint (rows->len, ==, problems->len);
  for (guint i = 0, n = 0; i < problems->len; i++)
    {
      EspyInstallAttempt *a = g_ptr_array_index (problems, i);

      if (g_strcmp0 (a->device_name, "workshop-plug") == 0 && ++n == 2)
        {
          older = a;
          older_row = g_ptr_array_index (rows, i);
        }
    }
  g_assert_nonnull (older);
  g_signal_emit_by_name (older_row, "activated");
  g_assert_true (ui_test_wait_until (troubleshoot_shown, NULL, 5000));
  ui_test_settle (GTK_WIDGET (window), 300);
  g_assert_false (gtk_widget_get_mapped (list));  /* the popover closed */
  page = find_troubleshoot_page ();
  g_assert_cmpstr (espy_device_get_name (espy_troubleshoot_page_get_device (ESPY_TROUBLESHOOT_PAGE (page))),
                   ==, "workshop-plug");
  shown = espy_troubleshoot_page_get_attempt (ESPY_TROUBLESHOOT_PAGE (page));
  g_assert_nonnull (shown);
  g_assert_cmpint (shown->started, ==, older->started);
  g_assert_cmpint (shown->started, !=, ((EspyInstallAttempt *) g_ptr_array_index (problems, 0))->started);
  save_root_screenshot ("shot-recent-problems-troubleshoot");
  gtk_window_close (GTK_WINDOW (gtk_widget_get_root (page)));
  ui_test_settle (GTK_WIDGET (window), 200);
}

static gboolean
porch_gone (gpointer data)
{
  return find_device ("porch") == NULL;
}

/* The later tests expect the demo devices only: an empty folder replaces
 * the porch's, and mDNS forgets it. */
static void
forget_porch (void)
{
  g_autofree char *empty = g_build_filename (porch.dir, "empty", NULL);
  g_autoptr(GFile) folder = g_file_new_for_path (empty);
  gboolean opened = FALSE;

  g_assert_cmpint (g_mkdir (empty, 0700), ==, 0);
  espy_application_open_config_folder_async (app, folder, NULL, folder_opened_cb, &opened);
  g_assert_true (ui_test_wait_until (ui_test_flag_set, &opened, 10000));
  espy_device_store_remove (espy_application_get_device_store (app), ESPY_DEVICE_SOURCE_MDNS, "porch");
  g_assert_true (ui_test_wait_until (porch_gone, NULL, 5000));
}

static void
rm_rf (GFile *file)
{
  g_autoptr(GFileEnumerator) children = g_file_enumerate_children (file, G_FILE_ATTRIBUTE_STANDARD_NAME,
                                                                   G_FILE_QUERY_INFO_NOFOLLOW_SYMLINKS,
                                                                   NULL, NULL);
  GFileInfo *info;
  GFile *child;

  while (children != NULL && g_file_enumerator_iterate (children, &info, &child, NULL, NULL) && info != NULL)
    rm_rf (child);
  g_file_delete (file, NULL, NULL);
}

static void
stop_porch (void)
{
  if (porch.sim != NULL)
    {
      g_signal_handlers_disconnect_by_func (porch.sim, porch_state_cb, NULL);
      espy_sim_device_stop (porch.sim);
      g_clear_object (&porch.sim);
    }
  if (porch.dir != NULL)
    {
      g_autoptr(GFile) dir = g_file_new_for_path (porch.dir);

      /* Only the folder this test made (the YAML and the stand-in's build). */
      rm_rf (dir);
      g_clear_pointer (&porch.dir, g_free);
    }
}

static void
test_empty (void)
{
  EspyDeviceStore *store = espy_application_get_device_store (app);

  /* Without the simulated devices the window explains what to do. */
  set_window_size (900, 640);
  espy_demo_stop (espy_application_get_demo (app));
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (store)), ==, 0);
  ui_test_settle (GTK_WIDGET (window), 200);
  g_assert_cmpstr (content_page (), ==, "empty");
  ui_test_screenshot (GTK_WIDGET (window), "main-window-empty");
}

/* The sandbox has no notification server: GApplication's warning about it
 * (installs that end while a dialog has the focus notify) is not a failure. */
static gboolean
fatal_log_cb (const char     *log_domain,
              GLogLevelFlags  log_level,
              const char     *message,
              gpointer        user_data)
{
  return strstr (message, "org.freedesktop.Notifications") == NULL;
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
  int ret;

  ui_test_app_env ();

  g_test_init (&argc, &argv, NULL);
  g_test_log_set_fatal_handler (fatal_log_cb, NULL);

  /* The esphome stand-in through the system Python: a version manager's
   * shim in front of python3 can take seconds per start. */
  if (g_getenv ("ESPY_ESPHOME") != NULL && g_file_test ("/usr/bin/python3", G_FILE_TEST_IS_EXECUTABLE)
      && strchr (g_getenv ("ESPY_ESPHOME"), ' ') == NULL)
    {
      g_autofree char *command = g_strdup_printf ("/usr/bin/python3 %s", g_getenv ("ESPY_ESPHOME"));

      g_setenv ("ESPY_ESPHOME", command, TRUE);
    }

  if (!gtk_init_check ())
    {
      g_test_add_func ("/ui/window/no-display", test_no_display);
      return g_test_run ();
    }

  window = ui_test_demo_start (&app);

  g_test_add_func ("/ui/window/cards", test_cards);
  g_test_add_func ("/ui/window/filter", test_filter);
  g_test_add_func ("/ui/window/search", test_search);
  g_test_add_func ("/ui/window/install", test_install);
  g_test_add_func ("/ui/window/update-all", test_update_all);
  g_test_add_func ("/ui/window/update-all-cancel", test_update_all_cancel);
  g_test_add_func ("/ui/window/recent-problems", test_recent_problems);
  g_test_add_func ("/ui/window/forget-porch", forget_porch);
  g_test_add_func ("/ui/window/device-page", test_device_page);
  g_test_add_func ("/ui/window/dialogs", test_dialogs);
  g_test_add_func ("/ui/window/empty", test_empty);

  ret = g_test_run ();

  stop_porch ();
  ui_test_demo_stop (window, &app);

  return ret;
}
