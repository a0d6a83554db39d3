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
#include "espy-troubleshoot-page.h"
#include "espy-window.h"

typedef enum {
  FILTER_ALL,
  FILTER_ONLINE,
  FILTER_OFFLINE,
  FILTER_UPDATES,
  FILTER_FAILED,
} EspyWindowFilter;

static const char * const filter_nicks[] = { "all", "online", "offline", "updates", "failed" };

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
  GtkWidget            *update_all_squeezer;
  GtkWidget            *update_all_button;
  GtkWidget            *update_all_icon_button;
  GtkSearchBar         *search_bar;
  GtkSearchEntry       *search_entry;
  GtkRevealer          *mdns_revealer;
  GtkLabel             *mdns_label;
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

static gboolean
update_all_state_cb (gpointer user_data)
{
  EspyWindow *self = user_data;
  GListModel *devices = G_LIST_MODEL (self->store);
  guint n = g_list_model_get_n_items (devices);
  guint n_updates = 0;
  guint n_installable = 0;
  const char *tooltip;

  self->update_all_id = 0;

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(EspyDevice) device = g_list_model_get_item (devices, i);
      g_autoptr(GFile) firmware = NULL;

      if (!espy_device_get_update_available (device))
        continue;
      n_updates++;
      firmware = espy_application_dup_firmware (self->application, device);
      if (firmware != NULL)
        n_installable++;
    }

  if (n_updates == 0)
    tooltip = _("Every device is up to date");
  else if (n_installable == 0)
    tooltip = _("Updates are available, but no configuration has a firmware built for them yet: "
                "build it with ESPHome first, or install a firmware file from a device’s card");
  else
    tooltip = _("Install the firmware built from each configuration on every device with an update");

  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.update-all", n_installable > 0);
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

typedef struct {
  EspyWindow *window;
  EspyDevice *device;
} InstallData;

static void
install_data_free (InstallData *data)
{
  g_object_unref (data->window);
  g_object_unref (data->device);
  g_free (data);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (InstallData, install_data_free)

static void
update_all_image_loaded_cb (GObject      *object,
                            GAsyncResult *result,
                            gpointer      user_data)
{
  g_autoptr(InstallData) data = user_data;
  EspyWindow *self = data->window;
  g_autoptr(EspyFirmwareImage) image = NULL;
  g_autoptr(EspyInstallJob) job = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *password = NULL;

  image = espy_firmware_image_load_finish (result, &error);
  if (image == NULL)
    {
      g_autofree char *text = NULL;

      /* Translators: %s is a device name, the second %s why the file is no good */
      text = g_strdup_printf (_("Could not update %s: %s"),
                              espy_device_get_display_name (data->device), error->message);
      espy_window_add_toast (self, text);
      return;
    }

  job = espy_install_job_new (data->device, image);
  password = espy_application_dup_ota_password (self->application, data->device);
  espy_install_job_set_password (job, password);
  espy_install_job_set_transport (job, espy_application_get_default_transport (self->application));
  if (password != NULL)
    memset (password, 0, strlen (password));

  if (!espy_install_manager_start (self->install_manager, job, &error) &&
      !g_error_matches (error, ESPY_INSTALL_ERROR, ESPY_INSTALL_ERROR_BUSY))
    espy_window_add_toast (self, error->message);
}

static void
update_all_action (GtkWidget  *widget,
                   const char *action_name,
                   GVariant   *parameter)
{
  EspyWindow *self = ESPY_WINDOW (widget);
  GListModel *devices = G_LIST_MODEL (self->store);
  guint n = g_list_model_get_n_items (devices);
  guint started = 0;
  g_autofree char *text = NULL;

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(EspyDevice) device = g_list_model_get_item (devices, i);
      g_autoptr(GFile) firmware = NULL;
      InstallData *data;

      if (!espy_device_get_update_available (device) ||
          espy_install_manager_lookup_active (self->install_manager, espy_device_get_name (device)) != NULL)
        continue;

      firmware = espy_application_dup_firmware (self->application, device);
      if (firmware == NULL)
        continue;

      data = g_new0 (InstallData, 1);
      data->window = g_object_ref (self);
      data->device = g_object_ref (device);
      espy_firmware_image_load_async (firmware, NULL, update_all_image_loaded_cb, data);
      started++;
    }

  if (started == 0)
    return;

  text = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "Updating %u device", "Updating %u devices", started),
                          started);
  espy_window_add_toast (self, text);
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

  /* Window buttons sit at the window's edges: the device pane has the end
   * ones whenever it is beside the grid. */
  adw_header_bar_set_show_end_title_buttons (self->header_bar, folded || !pane);
  adw_header_bar_set_show_start_title_buttons (self->device_header_bar, folded);
  gtk_widget_set_visible (self->back_button, folded);
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
  attempt = espy_history_get_last (history, espy_device_get_name (device), TRUE);
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

  gtk_widget_class_set_template_from_resource (widget_class, "/io/github/espy/Espy/espy-window.ui");
  gtk_widget_class_bind_template_child (widget_class, EspyWindow, toast_overlay);
  gtk_widget_class_bind_template_child (widget_class, EspyWindow, leaflet);
  gtk_widget_class_bind_template_child (widget_class, EspyWindow, devices_pane);
  gtk_widget_class_bind_template_child (widget_class, EspyWindow, header_bar);
  gtk_widget_class_bind_template_child (widget_class, EspyWindow, window_title);
  gtk_widget_class_bind_template_child (widget_class, EspyWindow, primary_menu_button);
  gtk_widget_class_bind_template_child (widget_class, EspyWindow, update_all_squeezer);
  gtk_widget_class_bind_template_child (widget_class, EspyWindow, update_all_button);
  gtk_widget_class_bind_template_child (widget_class, EspyWindow, update_all_icon_button);
  gtk_widget_class_bind_template_child (widget_class, EspyWindow, search_bar);
  gtk_widget_class_bind_template_child (widget_class, EspyWindow, search_entry);
  gtk_widget_class_bind_template_child (widget_class, EspyWindow, mdns_revealer);
  gtk_widget_class_bind_template_child (widget_class, EspyWindow, mdns_label);
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

  gtk_widget_class_install_action (widget_class, "win.add-device", NULL, add_device_action);
  gtk_widget_class_install_action (widget_class, "win.open-folder", NULL, open_folder_action);
  gtk_widget_class_install_property_action (widget_class, "win.search", "search-mode");
  gtk_widget_class_install_property_action (widget_class, "win.filter", "filter");
  gtk_widget_class_install_action (widget_class, "win.show-all", NULL, show_all_action);
  gtk_widget_class_install_action (widget_class, "win.update-all", NULL, update_all_action);
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
