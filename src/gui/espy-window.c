/* espy-window.c
 *
 * Copyright 2026 The Espy authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <glib/gi18n.h>
#include <string.h>

#include "espy-add-device-dialog.h"
#include "espy-device-card.h"
#include "espy-device-page.h"
#include "espy-install-dialog.h"
#include "espy-logs-view.h"
#include "espy-password-wizard.h"
#include "espy-recent-problems.h"
#include "espy-secret-string.h"
#include "espy-troubleshoot-page.h"
#include "espy-update-plan.h"
#include "espy-window.h"

typedef enum {
  FILTER_ALL,
  FILTER_ONLINE,
  FILTER_OFFLINE,
  FILTER_UPDATES,
  FILTER_FAILED,
} EspyWindowFilter;

static const char * const filter_nicks[] = { "all", "online", "offline", "updates", "failed" };

typedef struct _UpdateRun UpdateRun;

/* Below this width the header bar drops the folder button (it stays in the
 * main menu and on Ctrl+O) so the title keeps its room. */
#define NARROW_WIDTH 480

struct _EspyWindow
{
  AdwApplicationWindow  parent_instance;

  EspyApplication      *application;
  /* NULL when the schema is not installed (running from the build tree). */
  GSettings            *settings;
  EspyDeviceStore      *store;
  EspyInstallManager   *install_manager;

  GtkCustomFilter      *filter;
  GtkFilterListModel   *filter_model;
  EspyWindowFilter      filter_mode;
  /* Casefolded; NULL when the search is empty. */
  char                 *search_text;
  gboolean              search_mode;
  /* Device -> whether the filter let it through at the last evaluation, so
   * a device change refilters only when it changes the answer. */
  GHashTable           *matches;
  guint                 refilter_id;
  guint                 update_all_id;
  /* The Update All run in progress, or NULL. */
  UpdateRun            *update_run;
  /* The attempt Recent Problems asked to troubleshoot. */
  EspyInstallAttempt   *troubleshoot_attempt;
  gboolean              disposed;

  EspyDevice           *shown_device;
  GtkWidget            *device_page;
  GtkFileChooserNative *folder_chooser;
  gboolean              mdns_unavailable;

  /* Template widgets */
  AdwToastOverlay      *toast_overlay;
  AdwLeaflet           *leaflet;
  GtkWidget            *devices_pane;
  AdwHeaderBar         *header_bar;
  AdwWindowTitle       *window_title;
  GtkMenuButton        *primary_menu_button;
  GtkWidget            *open_folder_button;
  GtkWidget            *update_all_squeezer;
  GtkWidget            *update_all_button;
  GtkWidget            *update_all_icon_button;
  GtkSearchBar         *search_bar;
  GtkSearchEntry       *search_entry;
  GtkRevealer          *mdns_revealer;
  GtkLabel             *mdns_label;
  GtkRevealer          *update_revealer;
  GtkSpinner           *update_spinner;
  GtkImage             *update_icon;
  GtkLabel             *update_label;
  GtkWidget            *update_cancel_button;
  GtkWidget            *update_close_button;
  GtkMenuButton        *recent_problems_button;
  GtkPopover           *recent_problems_popover;
  EspyRecentProblems   *recent_problems;
  GtkWidget            *filter_squeezer;
  GtkDropDown          *filter_dropdown;
  GtkStack             *content_stack;
  GtkGridView          *grid_view;
  AdwStatusPage        *empty_page;
  AdwStatusPage        *no_results_page;
  GtkWidget            *pane_separator;
  GtkWidget            *device_pane;
  AdwHeaderBar         *device_header_bar;
  AdwWindowTitle       *device_title;
  GtkWidget            *back_button;
  GtkWidget            *close_device_button;
  GtkWidget            *device_page_box;
};

G_DEFINE_FINAL_TYPE (EspyWindow, espy_window, ADW_TYPE_APPLICATION_WINDOW)

enum {
  PROP_0,
  PROP_SEARCH_MODE,
  PROP_FILTER,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* --- window state ---------------------------------------------------------- */

static void
espy_window_load_state (EspyWindow *self)
{
  int width;
  int height;

  if (self->settings == NULL)
    return;

  width = g_settings_get_int (self->settings, "window-width");
  height = g_settings_get_int (self->settings, "window-height");

  gtk_window_set_default_size (GTK_WINDOW (self), width, height);

  if (g_settings_get_boolean (self->settings, "window-maximized"))
    gtk_window_maximize (GTK_WINDOW (self));
}

static void
espy_window_save_state (EspyWindow *self)
{
  int width;
  int height;

  if (self->settings == NULL)
    return;

  /* The default size is the unmaximized size, which is what should come back. */
  gtk_window_get_default_size (GTK_WINDOW (self), &width, &height);

  g_settings_delay (self->settings);
  g_settings_set_int (self->settings, "window-width", width);
  g_settings_set_int (self->settings, "window-height", height);
  g_settings_set_boolean (self->settings, "window-maximized",
                          gtk_window_is_maximized (GTK_WINDOW (self)));
  g_settings_apply (self->settings);
}

static gboolean
espy_window_close_request (GtkWindow *window)
{
  EspyWindow *self = ESPY_WINDOW (window);

  /* Installs keep running: the install manager holds the application. */
  espy_window_save_state (self);

  return GTK_WINDOW_CLASS (espy_window_parent_class)->close_request (window);
}

void
espy_window_add_toast (EspyWindow *self,
                       const char *title)
{
  AdwToast *toast;

  g_return_if_fail (ESPY_IS_WINDOW (self));

  toast = adw_toast_new (title);
  adw_toast_set_timeout (toast, 5);
  adw_toast_overlay_add_toast (self->toast_overlay, toast);
}

/* --- filtering ------------------------------------------------------------- */

static gboolean
text_matches (const char *text,
              const char *needle)
{
  g_autofree char *folded = NULL;

  if (text == NULL)
    return FALSE;

  folded = g_utf8_casefold (text, -1);
  return strstr (folded, needle) != NULL;
}

static gboolean
espy_window_last_install_failed (EspyWindow *self,
                                 EspyDevice *device)
{
  EspyInstallJob *job;

  if (self->install_manager == NULL)
    return FALSE;

  job = espy_install_manager_lookup_last (self->install_manager, espy_device_get_name (device));
  return job != NULL && espy_install_job_get_state (job) == ESPY_INSTALL_STATE_FAILED;
}

static gboolean
espy_window_device_matches (EspyWindow *self,
                            EspyDevice *device)
{
  gboolean match = TRUE;

  switch (self->filter_mode)
    {
    case FILTER_ONLINE:
      match = espy_device_get_online (device);
      break;

    case FILTER_OFFLINE:
      match = !espy_device_get_online (device);
      break;

    case FILTER_UPDATES:
      match = espy_device_get_update_available (device);
      break;

    case FILTER_FAILED:
      match = espy_window_last_install_failed (self, device);
      break;

    case FILTER_ALL:
    default:
      break;
    }

  if (match && self->search_text != NULL)
    match = text_matches (espy_device_get_display_name (device), self->search_text) ||
            text_matches (espy_device_get_name (device), self->search_text) ||
            text_matches (espy_device_get_address (device), self->search_text) ||
            text_matches (espy_device_get_platform (device), self->search_text) ||
            text_matches (espy_device_get_board (device), self->search_text);

  return match;
}

static gboolean
filter_func (gpointer item,
             gpointer user_data)
{
  EspyWindow *self = user_data;
  gboolean match = espy_window_device_matches (self, item);

  g_hash_table_insert (self->matches, item, GINT_TO_POINTER (match));

  return match;
}

static gboolean
refilter_cb (gpointer user_data)
{
  EspyWindow *self = user_data;

  self->refilter_id = 0;
  g_hash_table_remove_all (self->matches);
  gtk_filter_changed (GTK_FILTER (self->filter), GTK_FILTER_CHANGE_DIFFERENT);

  return G_SOURCE_REMOVE;
}

static void
espy_window_queue_refilter (EspyWindow *self)
{
  /* Several devices change in one go (a probe round, a folder reload):
   * filter once for all of them. */
  if (self->refilter_id == 0)
    self->refilter_id = g_idle_add_full (G_PRIORITY_DEFAULT_IDLE, refilter_cb, self, NULL);
}

static void
espy_window_refilter_now (EspyWindow *self)
{
  g_clear_handle_id (&self->refilter_id, g_source_remove);
  /* Every device is evaluated again, which also drops departed ones. */
  g_hash_table_remove_all (self->matches);
  gtk_filter_changed (GTK_FILTER (self->filter), GTK_FILTER_CHANGE_DIFFERENT);
}

static gboolean
espy_window_is_filtering (EspyWindow *self)
{
  return self->filter_mode != FILTER_ALL || self->search_text != NULL;
}

static void
espy_window_set_filter_mode (EspyWindow       *self,
                             EspyWindowFilter  mode)
{
  if (self->filter_mode == mode)
    return;

  self->filter_mode = mode;
  if (gtk_drop_down_get_selected (self->filter_dropdown) != (guint) mode)
    gtk_drop_down_set_selected (self->filter_dropdown, mode);
  espy_window_refilter_now (self);

  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_FILTER]);
}

static void
espy_window_set_filter_nick (EspyWindow *self,
                             const char *nick)
{
  for (guint i = 0; i < G_N_ELEMENTS (filter_nicks); i++)
    if (g_strcmp0 (nick, filter_nicks[i]) == 0)
      {
        espy_window_set_filter_mode (self, (EspyWindowFilter) i);
        return;
      }

  g_warning ("Unknown device filter “%s”", nick);
}

static void
filter_dropdown_selected_cb (EspyWindow  *self,
                             GParamSpec  *pspec,
                             GtkDropDown *dropdown)
{
  guint selected = gtk_drop_down_get_selected (dropdown);

  if (selected < G_N_ELEMENTS (filter_nicks))
    espy_window_set_filter_mode (self, (EspyWindowFilter) selected);
}

void
espy_window_set_search_text (EspyWindow *self,
                             const char *text)
{
  g_autofree char *folded = NULL;

  g_return_if_fail (ESPY_IS_WINDOW (self));

  if (text != NULL)
    {
      g_autofree char *stripped = g_strstrip (g_strdup (text));

      if (*stripped != '\0')
        folded = g_utf8_casefold (stripped, -1);
    }

  if (g_strcmp0 (folded, self->search_text) == 0)
    return;

  g_free (self->search_text);
  self->search_text = g_steal_pointer (&folded);
  espy_window_refilter_now (self);
}

static void
search_changed_cb (EspyWindow     *self,
                   GtkSearchEntry *entry)
{
  espy_window_set_search_text (self, gtk_editable_get_text (GTK_EDITABLE (entry)));
}

static void
espy_window_set_search_mode (EspyWindow *self,
                             gboolean    search_mode)
{
  search_mode = !!search_mode;
  if (self->search_mode == search_mode)
    return;

  self->search_mode = search_mode;
  if (search_mode)
    gtk_widget_grab_focus (GTK_WIDGET (self->search_entry));
  else
    gtk_editable_set_text (GTK_EDITABLE (self->search_entry), "");

  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SEARCH_MODE]);
}

gboolean
espy_window_get_search_mode (EspyWindow *self)
{
  g_return_val_if_fail (ESPY_IS_WINDOW (self), FALSE);

  return self->search_mode;
}

GListModel *
espy_window_get_visible_devices (EspyWindow *self)
{
  g_return_val_if_fail (ESPY_IS_WINDOW (self), NULL);

  return G_LIST_MODEL (self->filter_model);
}

/* --- what the content area shows -------------------------------------------- */

static void
espy_window_update_view (EspyWindow *self)
{
  guint n_devices = g_list_model_get_n_items (G_LIST_MODEL (self->store));
  guint n_visible = g_list_model_get_n_items (G_LIST_MODEL (self->filter_model));

  if (n_devices == 0)
    gtk_stack_set_visible_child_name (self->content_stack, "empty");
  else if (n_visible == 0)
    gtk_stack_set_visible_child_name (self->content_stack, "no-results");
  else
    gtk_stack_set_visible_child_name (self->content_stack, "devices");

  /* Filters over nothing are noise; the empty page explains mDNS itself. */
  gtk_widget_set_visible (self->filter_squeezer, n_devices > 0);
  gtk_revealer_set_reveal_child (self->mdns_revealer, self->mdns_unavailable && n_devices > 0);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.show-all", espy_window_is_filtering (self));
}

static void
espy_window_update_empty_page (EspyWindow *self)
{
  if (self->mdns_unavailable)
    {
      adw_status_page_set_icon_name (self->empty_page, "network-offline-symbolic");
      adw_status_page_set_title (self->empty_page, _("No Devices Yet"));
      adw_status_page_set_description (self->empty_page,
                                       _("mDNS is not available, so Espy cannot find devices by itself. "
                                         "Add devices by address, or open a folder of ESPHome configurations."));
    }
  else
    {
      adw_status_page_set_icon_name (self->empty_page, "io.github.espy.Espy-symbolic");
      adw_status_page_set_title (self->empty_page, _("No Devices Yet"));
      adw_status_page_set_description (self->empty_page,
                                       _("Devices on this network appear here once they announce themselves "
                                         "with mDNS. Add devices on other networks by address, or open a "
                                         "folder of ESPHome configurations."));
    }
}

static void
discovery_state_cb (EspyWindow    *self,
                    GParamSpec    *pspec,
                    EspyDiscovery *discovery)
{
  const char *message = espy_discovery_get_message (discovery);

  self->mdns_unavailable = espy_discovery_get_state (discovery) == ESPY_DISCOVERY_STATE_UNAVAILABLE;
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->mdns_label), message);
  espy_window_update_empty_page (self);
  espy_window_update_view (self);
}

/* --- Update All ------------------------------------------------------------- */

/* One Update All run, from the confirmation to the summary. Installs live
 * in the application's manager; the run only asks it and counts. */
struct _UpdateRun {
  EspyWindow        *window;
  EspyUpdatePlan    *plan;
  GListStore        *devices;        /* EspyDevice: the confirmed targets */
  GHashTable        *names;          /* lowercase node names of DEVICES */
  GCancellable      *cancellable;
  EspyUpdateOffline  offline;
  guint              pending_images; /* images still being checked */
  guint              n_bad_images;   /* failed their check: count as failed */
  guint              n_done;
  guint              n_total;
};

static void
update_run_free (UpdateRun *run)
{
  g_object_unref (run->window);
  g_clear_object (&run->plan);
  g_clear_object (&run->devices);
  g_clear_pointer (&run->names, g_hash_table_unref);
  g_clear_object (&run->cancellable);
  g_free (run);
}

/* A device Update All installs on: an update is available, nothing
 * installs on it now, and there is something to install: its YAML in the
 * folder (built first) or a firmware file known for it. */
static gboolean
espy_window_is_update_target (EspyWindow     *self,
                              EspyUpdatePlan *plan,
                              EspyDevice     *device)
{
  g_autoptr(GFile) firmware = NULL;

  if (!espy_device_get_update_available (device) ||
      espy_install_manager_lookup_active (self->install_manager, espy_device_get_name (device)) != NULL)
    return FALSE;
  if (espy_update_plan_lookup_config (plan, device) != NULL)
    return TRUE;
  firmware = espy_application_dup_firmware (self->application, device);
  return firmware != NULL;
}

static gboolean
update_all_state_cb (gpointer user_data)
{
  EspyWindow *self = user_data;
  GListModel *devices = G_LIST_MODEL (self->store);
  g_autoptr(EspyUpdatePlan) plan = espy_update_plan_new (espy_application_get_config_folder (self->application));
  guint n = g_list_model_get_n_items (devices);
  guint n_updates = 0;
  guint n_installable = 0;
  const char *tooltip;

  self->update_all_id = 0;

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(EspyDevice) device = g_list_model_get_item (devices, i);

      if (!espy_device_get_update_available (device))
        continue;
      n_updates++;
      if (espy_window_is_update_target (self, plan, device))
        n_installable++;
    }

  if (self->update_run != NULL)
    tooltip = _("Update All is running");
  else if (n_updates == 0)
    tooltip = _("Every device is up to date");
  else if (n_installable == 0)
    tooltip = _("Updates are available, but they are installing already or Espy has nothing to install: "
                "open the configuration folder, or install a firmware file from a device’s card");
  else
    tooltip = _("Build and install the new firmware on every device with an update");

  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.update-all",
                                 n_installable > 0 && self->update_run == NULL);
  gtk_widget_set_tooltip_text (self->update_all_button, tooltip);
  gtk_widget_set_tooltip_text (self->update_all_icon_button, tooltip);
  gtk_widget_set_visible (self->update_all_squeezer, n > 0);

  return G_SOURCE_REMOVE;
}

static void
espy_window_queue_update_all_state (EspyWindow *self)
{
  if (self->update_all_id == 0)
    self->update_all_id = g_timeout_add_full (G_PRIORITY_DEFAULT_IDLE, 100, update_all_state_cb, self, NULL);
}

/* The banner under the header bar: progress with Cancel, then the summary. */
static void
espy_window_show_update_banner (EspyWindow *self,
                                const char *text,
                                const char *icon_name)
{
  gboolean running = icon_name == NULL;

  gtk_label_set_text (self->update_label, text);
  gtk_spinner_set_spinning (self->update_spinner, running);
  gtk_widget_set_visible (GTK_WIDGET (self->update_spinner), running);
  gtk_widget_set_visible (GTK_WIDGET (self->update_icon), !running);
  if (icon_name != NULL)
    gtk_image_set_from_icon_name (self->update_icon, icon_name);
  gtk_widget_set_visible (self->update_cancel_button, running);
  gtk_widget_set_visible (self->update_close_button, !running);
  gtk_revealer_set_reveal_child (self->update_revealer, TRUE);
}

static void
update_run_progress (UpdateRun *run)
{
  EspyWindow *self = run->window;
  guint n = run->n_total;
  g_autofree char *text = NULL;

  if (self->disposed)
    return;
  /* Translators: "Updating 5 devices — 2 done" */
  text = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "Updating %u device — %u done",
                                       "Updating %u devices — %u done", n),
                          n, MIN (run->n_done + run->n_bad_images, n));
  espy_window_show_update_banner (self, text, NULL);
}

static void
update_run_finish (UpdateRun         *run,
                   EspyUpdateSummary *summary,
                   gboolean           cancelled)
{
  EspyWindow *self = run->window;
  g_autofree char *counts = NULL;
  g_autofree char *text = NULL;

  summary->n_failed += run->n_bad_images;
  counts = espy_update_summary_to_string (summary);
  if (cancelled)
    /* Translators: %s is "3 installed, 1 failed, 2 skipped, 1 cancelled" */
    text = g_strdup_printf (_("Update All cancelled: %s"), counts);
  else
    /* Translators: %s is "3 installed, 1 failed, 2 skipped" */
    text = g_strdup_printf (_("Update All finished: %s"), counts);

  if (!self->disposed)
    {
      const char *icon = cancelled ? "process-stop-symbolic"
                         : summary->n_failed > 0 ? "dialog-warning-symbolic" : "emblem-ok-symbolic";

      espy_window_show_update_banner (self, text, icon);
      espy_window_add_toast (self, text);
      espy_window_queue_update_all_state (self);
    }
  if (self->update_run == run)
    self->update_run = NULL;
  update_run_free (run);
}

static void
update_all_done_cb (GObject      *source,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  UpdateRun *run = user_data;
  EspyUpdateSummary summary = { 0 };
  g_autoptr(GError) error = NULL;
  gboolean ok;

  ok = espy_install_manager_update_all_finish (ESPY_INSTALL_MANAGER (source), result, &summary, &error);
  update_run_finish (run, &summary, !ok);
}

/* Every image checked: hand the devices to the manager's queue. */
static void
update_run_start (UpdateRun *run)
{
  EspyWindow *self = run->window;
  EspyUpdateOptions options = { 0 };

  if (g_cancellable_is_cancelled (run->cancellable))
    {
      EspyUpdateSummary summary = { 0 };

      summary.n_cancelled = g_list_model_get_n_items (G_LIST_MODEL (run->devices));
      update_run_finish (run, &summary, TRUE);
      return;
    }
  espy_update_plan_init_options (run->plan, &options);
  options.offline = run->offline;
  espy_install_manager_update_all_async (self->install_manager, G_LIST_MODEL (run->devices), &options,
                                         run->cancellable, update_all_done_cb, run);
}

typedef struct {
  UpdateRun  *run;
  EspyDevice *device;
} ImageLoad;

/* One image checked (IMAGE) or not (ERROR). */
static void
update_image_done (UpdateRun         *run,
                   EspyDevice        *device,
                   EspyFirmwareImage *image,
                   const GError      *error)
{
  if (image != NULL)
    {
      g_autofree char *password = espy_application_dup_ota_password (run->window->application, device);

      espy_update_plan_add_image (run->plan, espy_device_get_name (device), image, password);
      espy_secret_string_clear (&password);
    }
  else
    {
      guint position;

      /* Not sent: the plan has nothing for it, and it counts as failed. */
      if (g_list_store_find (run->devices, device, &position))
        g_list_store_remove (run->devices, position);
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          g_autofree char *text = NULL;

          run->n_bad_images++;
          /* Translators: %s is a device name, the second %s why the file is no good */
          text = g_strdup_printf (_("Could not update %s: %s"),
                                  espy_device_get_display_name (device), error->message);
          if (!run->window->disposed)
            espy_window_add_toast (run->window, text);
        }
    }
  if (--run->pending_images == 0)
    update_run_start (run);
}

static void
update_image_loaded_cb (GObject      *object,
                        GAsyncResult *result,
                        gpointer      user_data)
{
  ImageLoad *load = user_data;
  g_autoptr(EspyFirmwareImage) image = NULL;
  g_autoptr(GError) error = NULL;

  image = espy_firmware_image_load_finish (result, &error);
  update_image_done (load->run, load->device, image, error);
  g_object_unref (load->device);
  g_free (load);
}

static void
espy_window_start_update_all (EspyWindow        *self,
                              GListModel        *devices,
                              EspyUpdateOffline  offline)
{
  UpdateRun *run = g_new0 (UpdateRun, 1);
  guint n = g_list_model_get_n_items (devices);
  g_autoptr(GPtrArray) to_load = g_ptr_array_new_with_free_func (g_object_unref);

  run->window = g_object_ref (self);
  run->plan = espy_update_plan_new (espy_application_get_config_folder (self->application));
  espy_update_plan_set_transport (run->plan, espy_application_get_default_transport (self->application));
  run->devices = g_list_store_new (ESPY_TYPE_DEVICE);
  run->names = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  run->cancellable = g_cancellable_new ();
  run->offline = offline;
  run->n_total = n;
  self->update_run = run;

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(EspyDevice) device = g_list_model_get_item (devices, i);

      g_list_store_append (run->devices, device);
      g_hash_table_add (run->names, g_ascii_strdown (espy_device_get_name (device), -1));
      /* No YAML: the firmware file, checked before anything is sent. */
      if (espy_update_plan_lookup_config (run->plan, device) == NULL)
        g_ptr_array_add (to_load, g_object_ref (device));
    }

  update_run_progress (run);
  espy_window_queue_update_all_state (self);

  run->pending_images = to_load->len;
  if (to_load->len == 0)
    {
      update_run_start (run);
      return;
    }
  for (guint i = 0; i < to_load->len; i++)
    {
      EspyDevice *device = g_ptr_array_index (to_load, i);
      g_autoptr(GFile) firmware = espy_application_dup_firmware (self->application, device);
      ImageLoad *load;

      if (firmware == NULL)
        {
          /* Gone since the confirmation (the folder changed). */
          g_autoptr(GError) error = g_error_new_literal (ESPY_INSTALL_ERROR, ESPY_INSTALL_ERROR_NO_IMAGE,
                                                         _("No firmware file is known for it any more"));

          update_image_done (run, device, NULL, error);
          continue;
        }
      load = g_new0 (ImageLoad, 1);
      load->run = run;
      load->device = g_object_ref (device);
      espy_firmware_image_load_async (firmware, run->cancellable, update_image_loaded_cb, load);
    }
}

static void
update_all_response_cb (EspyWindow       *self,
                        const char       *response,
                        AdwMessageDialog *dialog)
{
  GListModel *devices = g_object_get_data (G_OBJECT (dialog), "espy-devices");
  GtkCheckButton *wait = g_object_get_data (G_OBJECT (dialog), "espy-wait-check");
  EspyUpdateOffline offline;

  if (g_strcmp0 (response, "update") != 0 || self->update_run != NULL || self->disposed)
    return;
  offline = wait != NULL && gtk_check_button_get_active (wait) ? ESPY_UPDATE_OFFLINE_WAIT
                                                                : ESPY_UPDATE_OFFLINE_SKIP;
  espy_window_start_update_all (self, devices, offline);
}

/* "Kitchen, Garage Door, Porch and 2 more" */
static char *
join_device_names (GListModel *devices)
{
  guint n = g_list_model_get_n_items (devices);
  g_autoptr(GString) text = g_string_new (NULL);
  guint shown = n <= 4 ? n : 3;

  for (guint i = 0; i < shown; i++)
    {
      g_autoptr(EspyDevice) device = g_list_model_get_item (devices, i);

      if (i > 0)
        g_string_append (text, i + 1 == shown && shown == n ? _(" and ") : _(", "));
      g_string_append (text, espy_device_get_display_name (device));
    }
  if (shown < n)
    /* Translators: after a list of device names: "Kitchen, Porch, Shed and 2 more" */
    g_string_append_printf (text, g_dngettext (GETTEXT_PACKAGE, " and %u more", " and %u more", n - shown),
                            n - shown);
  return g_string_free (g_steal_pointer (&text), FALSE);
}

static void
update_all_action (GtkWidget  *widget,
                   const char *action_name,
                   GVariant   *parameter)
{
  EspyWindow *self = ESPY_WINDOW (widget);
  GListModel *all = G_LIST_MODEL (self->store);
  g_autoptr(EspyUpdatePlan) plan = espy_update_plan_new (espy_application_get_config_folder (self->application));
  g_autoptr(GListStore) targets = g_list_store_new (ESPY_TYPE_DEVICE);
  g_autoptr(GListStore) offline = g_list_store_new (ESPY_TYPE_DEVICE);
  g_autoptr(GString) body = g_string_new (NULL);
  g_autofree char *heading = NULL;
  g_autofree char *names = NULL;
  guint n_all = g_list_model_get_n_items (all);
  guint n, n_offline, n_build = 0;
  AdwMessageDialog *dialog;

  if (self->update_run != NULL)
    return;

  for (guint i = 0; i < n_all; i++)
    {
      g_autoptr(EspyDevice) device = g_list_model_get_item (all, i);

      if (!espy_window_is_update_target (self, plan, device))
        continue;
      g_list_store_append (targets, device);
      if (!espy_device_get_online (device))
        g_list_store_append (offline, device);
      if (espy_update_plan_lookup_config (plan, device) != NULL)
        n_build++;
    }
  n = g_list_model_get_n_items (G_LIST_MODEL (targets));
  n_offline = g_list_model_get_n_items (G_LIST_MODEL (offline));
  if (n == 0)
    {
      espy_window_add_toast (self, _("Nothing to update"));
      return;
    }

  /* A confirmation: every device restarts, and offline ones need a choice. */
  heading = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "Update %u Device?", "Update %u Devices?", n), n);
  names = join_device_names (G_LIST_MODEL (targets));
  /* Translators: %s is a list of device names, %u how many install at once */
  g_string_append_printf (body, _("%s will get the new firmware, up to %u at a time. Each device restarts once."),
                          names, espy_install_manager_get_max_parallel (self->install_manager));
  if (n_build > 0)
    {
      g_string_append_c (body, ' ');
      g_string_append (body, _("Configurations in the folder are built with ESPHome first."));
    }
  if (n_offline > 0)
    {
      g_autofree char *offline_names = join_device_names (G_LIST_MODEL (offline));

      g_string_append (body, "\n\n");
      /* Translators: %u is a number, %s a list of device names */
      g_string_append_printf (body, g_dngettext (GETTEXT_PACKAGE, "%u of them is offline: %s.",
                                                 "%u of them are offline: %s.", n_offline),
                              n_offline, offline_names);
    }

  dialog = ADW_MESSAGE_DIALOG (adw_message_dialog_new (GTK_WINDOW (self), heading, body->str));
  adw_message_dialog_add_responses (dialog,
                                    "cancel", _("_Cancel"),
                                    "update", _("_Update"),
                                    NULL);
  adw_message_dialog_set_response_appearance (dialog, "update", ADW_RESPONSE_SUGGESTED);
  adw_message_dialog_set_default_response (dialog, "update");
  adw_message_dialog_set_close_response (dialog, "cancel");

  if (n_offline > 0)
    {
      GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 6);
      GtkWidget *skip = gtk_check_button_new_with_mnemonic (_("_Skip offline devices"));
      GtkWidget *wait = gtk_check_button_new_with_mnemonic (_("_Wait up to 10 minutes for them to come online "
                                                             "(devices that sleep)"));

      /* Skip by default: waiting keeps Espy running for minutes. */
      gtk_check_button_set_group (GTK_CHECK_BUTTON (wait), GTK_CHECK_BUTTON (skip));
      gtk_check_button_set_active (GTK_CHECK_BUTTON (skip), TRUE);
      gtk_widget_set_name (skip, "update-offline-skip");
      gtk_widget_set_name (wait, "update-offline-wait");
      gtk_box_append (GTK_BOX (box), skip);
      gtk_box_append (GTK_BOX (box), wait);
      adw_message_dialog_set_extra_child (dialog, box);
      g_object_set_data (G_OBJECT (dialog), "espy-wait-check", wait);
    }

  g_object_set_data_full (G_OBJECT (dialog), "espy-devices", g_object_ref (targets), g_object_unref);
  g_signal_connect_object (dialog, "response", G_CALLBACK (update_all_response_cb), self, G_CONNECT_SWAPPED);
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
cancel_update_all_action (GtkWidget  *widget,
                          const char *action_name,
                          GVariant   *parameter)
{
  EspyWindow *self = ESPY_WINDOW (widget);

  if (self->update_run != NULL)
    g_cancellable_cancel (self->update_run->cancellable);
}

static void
dismiss_update_all_action (GtkWidget  *widget,
                           const char *action_name,
                           GVariant   *parameter)
{
  EspyWindow *self = ESPY_WINDOW (widget);

  if (self->update_run == NULL)
    gtk_revealer_set_reveal_child (self->update_revealer, FALSE);
}

/* --- recent problems ------------------------------------------------------------ */

static void
history_changed_cb (EspyWindow  *self,
                    EspyHistory *history)
{
  g_autoptr(GPtrArray) problems = espy_history_list_problems (history, NULL, 1);

  gtk_widget_set_visible (GTK_WIDGET (self->recent_problems_button), problems->len > 0);
}

/* Emitted just before the list activates win.troubleshoot: that page
 * then shows this attempt, not only the device's latest failure. */
static void
recent_attempt_activated_cb (EspyWindow         *self,
                             EspyInstallAttempt *attempt,
                             EspyRecentProblems *list)
{
  g_clear_pointer (&self->troubleshoot_attempt, espy_install_attempt_unref);
  self->troubleshoot_attempt = espy_install_attempt_ref (attempt);
  gtk_popover_popdown (self->recent_problems_popover);
}

/* --- store and jobs ---------------------------------------------------------- */

static void
store_items_changed_cb (EspyWindow *self,
                        guint       position,
                        guint       removed,
                        guint       added,
                        GListModel *model)
{
  if (self->shown_device != NULL && removed > 0)
    {
      guint n = g_list_model_get_n_items (model);
      gboolean found = FALSE;

      /* The shown device left the store ("Forget device", a config deleted). */
      for (guint i = 0; i < n && !found; i++)
        {
          g_autoptr(EspyDevice) device = g_list_model_get_item (model, i);
          found = device == self->shown_device;
        }
      if (!found)
        espy_window_show_device (self, NULL);
    }

  espy_window_update_view (self);
  espy_window_queue_update_all_state (self);
}

static void
device_changed_cb (EspyWindow      *self,
                   EspyDevice      *device,
                   EspyDeviceStore *store)
{
  gpointer cached;

  espy_window_queue_update_all_state (self);

  if (self->shown_device == device)
    adw_window_title_set_title (self->device_title, espy_device_get_display_name (device));

  if (!espy_window_is_filtering (self))
    return;

  if (!g_hash_table_lookup_extended (self->matches, device, NULL, &cached) ||
      GPOINTER_TO_INT (cached) != espy_window_device_matches (self, device))
    espy_window_queue_refilter (self);
}

static void
job_finished_cb (EspyWindow         *self,
                 EspyInstallJob     *job,
                 EspyInstallManager *manager)
{
  if (self->filter_mode == FILTER_FAILED)
    espy_window_queue_refilter (self);
  espy_window_queue_update_all_state (self);

  if (self->update_run != NULL)
    {
      g_autofree char *name = g_ascii_strdown (espy_install_job_get_device_name (job), -1);

      if (g_hash_table_contains (self->update_run->names, name))
        {
          self->update_run->n_done++;
          update_run_progress (self->update_run);
        }
    }
}

static void
filter_items_changed_cb (EspyWindow *self)
{
  espy_window_update_view (self);
}

/* --- the grid --------------------------------------------------------------- */

static void
card_setup_cb (EspyWindow               *self,
               GtkListItem              *item,
               GtkSignalListItemFactory *factory)
{
  GtkWidget *card = espy_device_card_new ();

  espy_device_card_set_install_manager (ESPY_DEVICE_CARD (card), self->install_manager);
  gtk_list_item_set_child (item, card);
}

static void
card_bind_cb (EspyWindow               *self,
              GtkListItem              *item,
              GtkSignalListItemFactory *factory)
{
  EspyDevice *device = gtk_list_item_get_item (item);

  espy_device_card_set_device (ESPY_DEVICE_CARD (gtk_list_item_get_child (item)), device);
}

static void
card_unbind_cb (EspyWindow               *self,
                GtkListItem              *item,
                GtkSignalListItemFactory *factory)
{
  espy_device_card_set_device (ESPY_DEVICE_CARD (gtk_list_item_get_child (item)), NULL);
}

static void
grid_activate_cb (EspyWindow  *self,
                  guint        position,
                  GtkGridView *grid_view)
{
  g_autoptr(EspyDevice) device = g_list_model_get_item (G_LIST_MODEL (self->filter_model), position);

  if (device != NULL)
    espy_window_show_device (self, device);
}

/* --- the device pane ---------------------------------------------------------- */

static void
espy_window_update_headers (EspyWindow *self)
{
  gboolean folded = adw_leaflet_get_folded (self->leaflet);
  gboolean pane = gtk_widget_get_visible (self->device_pane);
  int width = 0, height = 0;

  /* Both pointers: GTK 4.8 does not take NULL for either. */
  gtk_window_get_default_size (GTK_WINDOW (self), &width, &height);

  /* Window buttons sit at the window's edges: the device pane has the end
   * ones whenever it is beside the grid. */
  adw_header_bar_set_show_end_title_buttons (self->header_bar, folded || !pane);
  adw_header_bar_set_show_start_title_buttons (self->device_header_bar, folded);
  gtk_widget_set_visible (self->back_button, folded);
  /* Narrow: the header keeps room for the title; the folder is in the menu. */
  gtk_widget_set_visible (self->open_folder_button, !folded && (width <= 0 || width >= NARROW_WIDTH));
  gtk_widget_set_visible (self->close_device_button, !folded);
  gtk_widget_set_visible (self->pane_separator, pane);
}

static void
leaflet_folded_cb (EspyWindow *self)
{
  espy_window_update_headers (self);
}

static void
leaflet_visible_child_cb (EspyWindow *self)
{
  if (!adw_leaflet_get_folded (self->leaflet) ||
      adw_leaflet_get_visible_child (self->leaflet) != self->devices_pane ||
      adw_leaflet_get_child_transition_running (self->leaflet))
    return;

  /* Back at the grid in a narrow window (button, swipe, Alt+Left): forget
   * the page so a wider window does not bring it back unasked. */
  if (self->shown_device != NULL)
    {
      g_clear_object (&self->shown_device);
      g_object_set (self->device_page, "device", NULL, NULL);
    }
  gtk_widget_set_visible (self->device_pane, FALSE);
  espy_window_update_headers (self);
}

static void
child_transition_cb (EspyWindow *self)
{
  leaflet_visible_child_cb (self);
}

void
espy_window_show_device (EspyWindow *self,
                         EspyDevice *device)
{
  g_return_if_fail (ESPY_IS_WINDOW (self));
  g_return_if_fail (device == NULL || ESPY_IS_DEVICE (device));

  if (device == NULL)
    {
      g_clear_object (&self->shown_device);
      g_object_set (self->device_page, "device", NULL, NULL);
      if (adw_leaflet_get_folded (self->leaflet) &&
          adw_leaflet_get_visible_child (self->leaflet) != self->devices_pane)
        {
          /* Slide back first; the pane hides when the transition ends. */
          adw_leaflet_set_visible_child (self->leaflet, self->devices_pane);
          return;
        }
      gtk_widget_set_visible (self->device_pane, FALSE);
      espy_window_update_headers (self);
      return;
    }

  g_set_object (&self->shown_device, device);
  g_object_set (self->device_page, "device", device, NULL);
  adw_window_title_set_title (self->device_title, espy_device_get_display_name (device));
  gtk_widget_set_visible (self->device_pane, TRUE);
  espy_window_update_headers (self);
  adw_leaflet_set_visible_child (self->leaflet, self->device_pane);
}

static EspyDevice *
espy_window_lookup_device (EspyWindow *self,
                           GVariant   *parameter)
{
  const char *name = g_variant_get_string (parameter, NULL);
  EspyDevice *device = espy_device_store_lookup (self->store, name);

  if (device == NULL)
    g_debug ("No device named “%s”", name);

  return device;
}

/* --- actions ---------------------------------------------------------------- */

static void
show_device_action (GtkWidget  *widget,
                    const char *action_name,
                    GVariant   *parameter)
{
  EspyWindow *self = ESPY_WINDOW (widget);
  EspyDevice *device = espy_window_lookup_device (self, parameter);

  if (device != NULL)
    espy_window_show_device (self, device);
}

static void
back_action (GtkWidget  *widget,
             const char *action_name,
             GVariant   *parameter)
{
  EspyWindow *self = ESPY_WINDOW (widget);

  if (adw_leaflet_get_folded (self->leaflet))
    adw_leaflet_navigate (self->leaflet, ADW_NAVIGATION_DIRECTION_BACK);
  else
    espy_window_show_device (self, NULL);
}

static void
close_device_action (GtkWidget  *widget,
                     const char *action_name,
                     GVariant   *parameter)
{
  espy_window_show_device (ESPY_WINDOW (widget), NULL);
}

static void
escape_action (GtkWidget  *widget,
               const char *action_name,
               GVariant   *parameter)
{
  EspyWindow *self = ESPY_WINDOW (widget);

  if (self->search_mode)
    espy_window_set_search_mode (self, FALSE);
  else if (self->shown_device != NULL)
    espy_window_show_device (self, NULL);
}

static void
show_all_action (GtkWidget  *widget,
                 const char *action_name,
                 GVariant   *parameter)
{
  EspyWindow *self = ESPY_WINDOW (widget);

  espy_window_set_search_mode (self, FALSE);
  espy_window_set_search_text (self, NULL);
  espy_window_set_filter_mode (self, FILTER_ALL);
}

static void
install_action (GtkWidget  *widget,
                const char *action_name,
                GVariant   *parameter)
{
  EspyWindow *self = ESPY_WINDOW (widget);
  EspyDevice *device = espy_window_lookup_device (self, parameter);
  EspyInstallJob *job;
  GtkWidget *dialog;

  if (device == NULL)
    return;

  job = espy_install_manager_lookup_active (self->install_manager, espy_device_get_name (device));
  if (job != NULL)
    dialog = espy_install_dialog_new_for_job (GTK_WINDOW (self), job);
  else
    dialog = espy_install_dialog_new (GTK_WINDOW (self), device);

  gtk_window_present (GTK_WINDOW (dialog));
}

/* A secondary window for one device: logs and troubleshooting each get
 * their own, so they can stay open beside the cards. */
static void
present_device_window (EspyWindow *self,
                       const char *title,
                       GtkWidget  *content)
{
  AdwWindow *window = ADW_WINDOW (adw_window_new ());
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 0);
  GtkWidget *header = adw_header_bar_new ();

  gtk_window_set_title (GTK_WINDOW (window), title);
  gtk_window_set_transient_for (GTK_WINDOW (window), GTK_WINDOW (self));
  gtk_window_set_default_size (GTK_WINDOW (window), 860, 640);
  gtk_box_append (GTK_BOX (box), header);
  gtk_widget_set_vexpand (content, TRUE);
  gtk_box_append (GTK_BOX (box), content);
  adw_window_set_content (window, box);
  gtk_window_present (GTK_WINDOW (window));
}

static void
show_logs_action (GtkWidget  *widget,
                  const char *action_name,
                  GVariant   *parameter)
{
  EspyWindow *self = ESPY_WINDOW (widget);
  EspyDevice *device = espy_window_lookup_device (self, parameter);

  g_autofree char *title = NULL;

  if (device == NULL)
    return;
  /* Translators: %s is a device name */
  title = g_strdup_printf (_("Logs of %s"), espy_device_get_display_name (device));
  present_device_window (self, title, espy_logs_view_new (device));
}

static void
change_password_action (GtkWidget  *widget,
                        const char *action_name,
                        GVariant   *parameter)
{
  EspyWindow *self = ESPY_WINDOW (widget);
  EspyDevice *device = espy_window_lookup_device (self, parameter);
  GtkWindow *wizard;

  if (device == NULL)
    return;
  wizard = espy_password_wizard_new (GTK_WINDOW (self), device);
  if (espy_application_get_config_folder (self->application) != NULL)
    espy_password_wizard_set_config_folder (ESPY_PASSWORD_WIZARD (wizard),
                                            espy_application_get_config_folder (self->application));
  gtk_window_present (wizard);
}

static void
troubleshoot_action (GtkWidget  *widget,
                     const char *action_name,
                     GVariant   *parameter)
{
  EspyWindow *self = ESPY_WINDOW (widget);
  EspyDevice *device = espy_window_lookup_device (self, parameter);
  EspyHistory *history;
  g_autoptr(EspyInstallAttempt) attempt = NULL;
  g_autofree char *title = NULL;
  GtkWidget *page;

  if (device == NULL)
    return;
  history = espy_application_get_history (self->application);
  /* The attempt picked in Recent Problems, else the latest failure. */
  if (self->troubleshoot_attempt != NULL && self->troubleshoot_attempt->device_name != NULL
      && g_ascii_strcasecmp (self->troubleshoot_attempt->device_name, espy_device_get_name (device)) == 0)
    attempt = g_steal_pointer (&self->troubleshoot_attempt);
  else
    attempt = espy_history_get_last (history, espy_device_get_name (device), TRUE);
  g_clear_pointer (&self->troubleshoot_attempt, espy_install_attempt_unref);
  page = espy_troubleshoot_page_new (device, attempt);
  if (attempt != NULL)
    espy_troubleshoot_page_set_log_lines (ESPY_TROUBLESHOOT_PAGE (page),
                                          espy_history_get_log_lines (history, attempt));
  espy_troubleshoot_page_set_discovery (ESPY_TROUBLESHOOT_PAGE (page),
                                        espy_application_get_discovery (self->application));
  /* Translators: %s is a device name */
  title = g_strdup_printf (_("Troubleshooting %s"), espy_device_get_display_name (device));
  present_device_window (self, title, page);
}

static void
add_device_action (GtkWidget  *widget,
                   const char *action_name,
                   GVariant   *parameter)
{
  EspyWindow *self = ESPY_WINDOW (widget);
  GtkWidget *dialog = espy_add_device_dialog_new (GTK_WINDOW (self), self->application);

  gtk_window_present (GTK_WINDOW (dialog));
}

static void
folder_opened_cb (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(EspyWindow) self = user_data;
  g_autoptr(GError) error = NULL;

  if (!espy_application_open_config_folder_finish (ESPY_APPLICATION (object), result, &error))
    {
      g_autofree char *text = NULL;

      /* Translators: %s says why, e.g. "No such file or directory" */
      text = g_strdup_printf (_("Could not open the configuration folder: %s"), error->message);
      espy_window_add_toast (self, text);
    }
}

static void
folder_chooser_response_cb (EspyWindow           *self,
                            int                   response,
                            GtkFileChooserNative *chooser)
{
  g_autoptr(GFile) folder = NULL;

  if (response == GTK_RESPONSE_ACCEPT)
    folder = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (chooser));

  g_clear_object (&self->folder_chooser);

  if (folder != NULL)
    espy_application_open_config_folder_async (self->application, folder, NULL,
                                               folder_opened_cb, g_object_ref (self));
}

static void
open_folder_action (GtkWidget  *widget,
                    const char *action_name,
                    GVariant   *parameter)
{
  EspyWindow *self = ESPY_WINDOW (widget);
  EspyConfigFolder *current;

  if (self->folder_chooser != NULL)
    {
      gtk_native_dialog_show (GTK_NATIVE_DIALOG (self->folder_chooser));
      return;
    }

  self->folder_chooser = gtk_file_chooser_native_new (_("Open Configuration Folder"),
                                                      GTK_WINDOW (self),
                                                      GTK_FILE_CHOOSER_ACTION_SELECT_FOLDER,
                                                      _("_Open"),
                                                      _("_Cancel"));
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (self->folder_chooser), TRUE);

  current = espy_application_get_config_folder (self->application);
  if (current != NULL)
    gtk_file_chooser_set_current_folder (GTK_FILE_CHOOSER (self->folder_chooser),
                                         espy_config_folder_get_directory (current), NULL);

  g_signal_connect_object (self->folder_chooser, "response",
                           G_CALLBACK (folder_chooser_response_cb), self, G_CONNECT_SWAPPED);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (self->folder_chooser));
}

/* --- GObject ---------------------------------------------------------------- */

static gboolean
espy_window_demo_mode_to_subtitle (GBinding     *binding,
                                   const GValue *from_value,
                                   GValue       *to_value,
                                   gpointer      user_data)
{
  g_value_set_string (to_value, g_value_get_boolean (from_value) ? _("Demo mode") : NULL);

  return TRUE;
}

/* The application is set after constructed(), as a plain property. */
static void
espy_window_setup (EspyWindow      *self,
                   EspyApplication *application)
{
  EspyDiscovery *discovery;
  EspyHistory *history;

  self->application = application;

  self->settings = espy_application_get_settings (self->application);
  if (self->settings != NULL)
    g_object_ref (self->settings);
  espy_window_load_state (self);

  self->store = g_object_ref (espy_application_get_device_store (self->application));
  self->install_manager = g_object_ref (espy_application_get_install_manager (self->application));

  self->filter = gtk_custom_filter_new (filter_func, self, NULL);
  self->filter_model = gtk_filter_list_model_new (g_object_ref (G_LIST_MODEL (self->store)),
                                                  g_object_ref (GTK_FILTER (self->filter)));
  gtk_grid_view_set_model (self->grid_view,
                           GTK_SELECTION_MODEL (gtk_no_selection_new (g_object_ref (G_LIST_MODEL (self->filter_model)))));

  g_signal_connect_object (self->store, "items-changed",
                           G_CALLBACK (store_items_changed_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->store, "device-changed",
                           G_CALLBACK (device_changed_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->filter_model, "items-changed",
                           G_CALLBACK (filter_items_changed_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->install_manager, "job-finished",
                           G_CALLBACK (job_finished_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->application, "notify::config-folder",
                           G_CALLBACK (espy_window_queue_update_all_state), self, G_CONNECT_SWAPPED);

  discovery = espy_application_get_discovery (self->application);
  if (discovery != NULL)
    {
      g_signal_connect_object (discovery, "notify::state",
                               G_CALLBACK (discovery_state_cb), self, G_CONNECT_SWAPPED);
      discovery_state_cb (self, NULL, discovery);
    }

  g_object_bind_property_full (self->application, "demo-mode",
                               self->window_title, "subtitle",
                               G_BINDING_SYNC_CREATE,
                               espy_window_demo_mode_to_subtitle,
                               NULL, NULL, NULL);

  history = espy_application_get_history (self->application);
  espy_recent_problems_set_history (self->recent_problems, history);
  g_signal_connect_object (history, "changed", G_CALLBACK (history_changed_cb), self, G_CONNECT_SWAPPED);
  history_changed_cb (self, history);

  espy_window_update_empty_page (self);
  espy_window_update_view (self);
  update_all_state_cb (self);
}

static void
espy_window_dispose (GObject *object)
{
  EspyWindow *self = ESPY_WINDOW (object);

  g_clear_handle_id (&self->refilter_id, g_source_remove);
  g_clear_handle_id (&self->update_all_id, g_source_remove);
  /* A running Update All goes on in the install manager; its end only
   * frees what it holds once the window is gone. */
  self->disposed = TRUE;
  g_clear_pointer (&self->troubleshoot_attempt, espy_install_attempt_unref);

  if (self->folder_chooser != NULL)
    gtk_native_dialog_destroy (GTK_NATIVE_DIALOG (self->folder_chooser));
  g_clear_object (&self->folder_chooser);

  gtk_widget_dispose_template (GTK_WIDGET (self), ESPY_TYPE_WINDOW);

  g_clear_object (&self->shown_device);
  g_clear_object (&self->filter_model);
  g_clear_object (&self->filter);
  g_clear_object (&self->install_manager);
  g_clear_object (&self->store);
  g_clear_object (&self->settings);
  g_clear_pointer (&self->matches, g_hash_table_unref);

  G_OBJECT_CLASS (espy_window_parent_class)->dispose (object);
}

static void
espy_window_finalize (GObject *object)
{
  EspyWindow *self = ESPY_WINDOW (object);

  g_free (self->search_text);

  G_OBJECT_CLASS (espy_window_parent_class)->finalize (object);
}

static void
espy_window_get_property (GObject    *object,
                          guint       prop_id,
                          GValue     *value,
                          GParamSpec *pspec)
{
  EspyWindow *self = ESPY_WINDOW (object);

  switch (prop_id)
    {
    case PROP_SEARCH_MODE:
      g_value_set_boolean (value, self->search_mode);
      break;

    case PROP_FILTER:
      g_value_set_string (value, filter_nicks[self->filter_mode]);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
espy_window_set_property (GObject      *object,
                          guint         prop_id,
                          const GValue *value,
                          GParamSpec   *pspec)
{
  EspyWindow *self = ESPY_WINDOW (object);

  switch (prop_id)
    {
    case PROP_SEARCH_MODE:
      espy_window_set_search_mode (self, g_value_get_boolean (value));
      break;

    case PROP_FILTER:
      espy_window_set_filter_nick (self, g_value_get_string (value));
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
espy_window_class_init (EspyWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  GtkWindowClass *window_class = GTK_WINDOW_CLASS (klass);

  object_class->dispose = espy_window_dispose;
  object_class->finalize = espy_window_finalize;
  object_class->get_property = espy_window_get_property;
  object_class->set_property = espy_window_set_property;

  window_class->close_request = espy_window_close_request;

  properties[PROP_SEARCH_MODE] =
    g_param_spec_boolean ("search-mode", NULL, NULL,
                          FALSE,
                          (G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));
  properties[PROP_FILTER] =
    g_param_spec_string ("filter", NULL, NULL,
                         "all",
                         (G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));
  g_object_class_install_properties (object_class, N_PROPS, properties);

  g_type_ensure (ESPY_TYPE_DEVICE_PAGE);
  g_type_ensure (ESPY_TYPE_RECENT_PROBLEMS);

  gtk_widget_class_set_template_from_resource (widget_class, "/io/github/espy/Espy/espy-window.ui");
  gtk_widget_class_bind_template_child (widget_class, EspyWindow, toast_overlay);
  gtk_widget_class_bind_template_child (widget_class, EspyWindow, leaflet);
  gtk_widget_class_bind_template_child (widget_class, EspyWindow, devices_pane);
  gtk_widget_class_bind_template_child (widget_class, EspyWindow, header_bar);
  gtk_widget_class_bind_template_child (widget_class, EspyWindow, window_title);
  gtk_widget_class_bind_template_child (widget_class, EspyWindow, primary_menu_button);
  gtk_widget_class_bind_template_child (widget_class, EspyWindow, open_folder_button);
  gtk_widget_class_bind_template_child (widget_class, EspyWindow, update_all_squeezer);
  gtk_widget_class_bind_template_child (widget_class, EspyWindow, update_all_button);
  gtk_widget_class_bind_template_child (widget_class, EspyWindow, update_all_icon_button);
  gtk_widget_class_bind_template_child (widget_class, EspyWindow, search_bar);
  gtk_widget_class_bind_template_child (widget_class, EspyWindow, search_entry);
  gtk_widget_class_bind_template_child (widget_class, EspyWindow, mdns_revealer);
  gtk_widget_class_bind_template_child (widget_class, EspyWindow, mdns_label);
  gtk_widget_class_bind_template_child (widget_class, EspyWindow, update_revealer);
  gtk_widget_class_bind_template_child (widget_class, EspyWindow, update_spinner);
  gtk_widget_class_bind_template_child (widget_class, EspyWindow, update_icon);
  gtk_widget_class_bind_template_child (widget_class, EspyWindow, update_label);
  gtk_widget_class_bind_template_child (widget_class, EspyWindow, update_cancel_button);
  gtk_widget_class_bind_template_child (widget_class, EspyWindow, update_close_button);
  gtk_widget_class_bind_template_child (widget_class, EspyWindow, recent_problems_button);
  gtk_widget_class_bind_template_child (widget_class, EspyWindow, recent_problems_popover);
  gtk_widget_class_bind_template_child (widget_class, EspyWindow, recent_problems);
  gtk_widget_class_bind_template_child (widget_class, EspyWindow, filter_squeezer);
  gtk_widget_class_bind_template_child (widget_class, EspyWindow, filter_dropdown);
  gtk_widget_class_bind_template_child (widget_class, EspyWindow, content_stack);
  gtk_widget_class_bind_template_child (widget_class, EspyWindow, grid_view);
  gtk_widget_class_bind_template_child (widget_class, EspyWindow, empty_page);
  gtk_widget_class_bind_template_child (widget_class, EspyWindow, no_results_page);
  gtk_widget_class_bind_template_child (widget_class, EspyWindow, pane_separator);
  gtk_widget_class_bind_template_child (widget_class, EspyWindow, device_pane);
  gtk_widget_class_bind_template_child (widget_class, EspyWindow, device_header_bar);
  gtk_widget_class_bind_template_child (widget_class, EspyWindow, device_title);
  gtk_widget_class_bind_template_child (widget_class, EspyWindow, back_button);
  gtk_widget_class_bind_template_child (widget_class, EspyWindow, close_device_button);
  gtk_widget_class_bind_template_child (widget_class, EspyWindow, device_page_box);
  gtk_widget_class_bind_template_callback (widget_class, leaflet_folded_cb);
  gtk_widget_class_bind_template_callback (widget_class, leaflet_visible_child_cb);
  gtk_widget_class_bind_template_callback (widget_class, search_changed_cb);
  gtk_widget_class_bind_template_callback (widget_class, filter_dropdown_selected_cb);
  gtk_widget_class_bind_template_callback (widget_class, card_setup_cb);
  gtk_widget_class_bind_template_callback (widget_class, card_bind_cb);
  gtk_widget_class_bind_template_callback (widget_class, card_unbind_cb);
  gtk_widget_class_bind_template_callback (widget_class, grid_activate_cb);
  gtk_widget_class_bind_template_callback (widget_class, recent_attempt_activated_cb);

  gtk_widget_class_install_action (widget_class, "win.add-device", NULL, add_device_action);
  gtk_widget_class_install_action (widget_class, "win.open-folder", NULL, open_folder_action);
  gtk_widget_class_install_property_action (widget_class, "win.search", "search-mode");
  gtk_widget_class_install_property_action (widget_class, "win.filter", "filter");
  gtk_widget_class_install_action (widget_class, "win.show-all", NULL, show_all_action);
  gtk_widget_class_install_action (widget_class, "win.update-all", NULL, update_all_action);
  gtk_widget_class_install_action (widget_class, "win.cancel-update-all", NULL, cancel_update_all_action);
  gtk_widget_class_install_action (widget_class, "win.dismiss-update-all", NULL, dismiss_update_all_action);
  gtk_widget_class_install_action (widget_class, "win.install", "s", install_action);
  gtk_widget_class_install_action (widget_class, "win.show-logs", "s", show_logs_action);
  gtk_widget_class_install_action (widget_class, "win.change-password", "s", change_password_action);
  gtk_widget_class_install_action (widget_class, "win.troubleshoot", "s", troubleshoot_action);
  gtk_widget_class_install_action (widget_class, "win.show-device", "s", show_device_action);
  gtk_widget_class_install_action (widget_class, "win.back", NULL, back_action);
  gtk_widget_class_install_action (widget_class, "win.close-device", NULL, close_device_action);
  gtk_widget_class_install_action (widget_class, "win.escape", NULL, escape_action);

  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_f, GDK_CONTROL_MASK, "win.search", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_n, GDK_CONTROL_MASK, "win.add-device", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_o, GDK_CONTROL_MASK, "win.open-folder", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "win.escape", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Left, GDK_ALT_MASK, "win.back", NULL);
}

static void
espy_window_init (EspyWindow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));

  self->matches = g_hash_table_new (NULL, NULL);

  self->device_page = g_object_new (ESPY_TYPE_DEVICE_PAGE, NULL);
  gtk_widget_set_vexpand (self->device_page, TRUE);
  gtk_box_append (GTK_BOX (self->device_page_box), self->device_page);

  gtk_search_bar_connect_entry (self->search_bar, GTK_EDITABLE (self->search_entry));
  gtk_search_bar_set_key_capture_widget (self->search_bar, GTK_WIDGET (self));
  g_signal_connect_object (self->leaflet, "notify::child-transition-running",
                           G_CALLBACK (child_transition_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect (self, "notify::default-width", G_CALLBACK (espy_window_update_headers), NULL);

  espy_window_update_headers (self);
}

EspyWindow *
espy_window_new (EspyApplication *application)
{
  EspyWindow *self;

  g_return_val_if_fail (ESPY_IS_APPLICATION (application), NULL);

  self = g_object_new (ESPY_TYPE_WINDOW,
                       "application", application,
                       NULL);
  espy_window_setup (self, application);

  return self;
}
