/* espy-device-page.c
 *
 * Copyright 2026 The Espy authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <glib/gi18n.h>
#include <string.h>

#include "espy-application.h"
#include "espy-device-page.h"
#include "espy-install-dialog.h"

/* One row per fact, in the order shown. */
typedef enum {
  ROW_NAME,
  ROW_NODE_NAME,
  ROW_PLATFORM,
  ROW_BOARD,
  ROW_VERSION,
  ROW_UPDATE,
  ROW_CONFIG,
  ROW_SOURCES,
  /* Network group from here */
  ROW_REACHABILITY,
  ROW_ADDRESS,
  ROW_MAC,
  ROW_NETWORK,
  ROW_API_PORT,
  ROW_API_ENCRYPTION,
  ROW_OTA_PORT,
  ROW_WEB_PORT,
  N_ROWS
} DetailRow;

struct _EspyDevicePage
{
  AdwBin              parent_instance;

  EspyDevice         *device;
  EspyDeviceStore    *store;
  EspyManualDevices  *manual;

  /* Template widgets */
  GtkLabel           *name_label;
  GtkLabel           *status_label;
  AdwPreferencesGroup *details_group;
  AdwPreferencesGroup *network_group;
  AdwActionRow       *web_row;
  AdwActionRow       *logs_row;
  AdwActionRow       *password_row;
  AdwActionRow       *troubleshoot_row;
  GtkWidget          *forget_group;

  GtkLabel           *values[N_ROWS];
};

G_DEFINE_FINAL_TYPE (EspyDevicePage, espy_device_page, ADW_TYPE_BIN)

enum {
  PROP_0,
  PROP_DEVICE,
  PROP_DEVICE_STORE,
  PROP_MANUAL_DEVICES,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static const char *
row_title (DetailRow row)
{
  switch (row)
    {
    case ROW_NAME: return _("Name");
    case ROW_NODE_NAME: return _("Node Name");
    case ROW_PLATFORM: return _("Platform");
    case ROW_BOARD: return _("Board");
    case ROW_VERSION: return _("ESPHome Version");
    case ROW_UPDATE: return _("Update");
    case ROW_CONFIG: return _("Configuration");
    case ROW_SOURCES: return _("Known From");
    case ROW_REACHABILITY: return _("Status");
    case ROW_ADDRESS: return _("Address");
    case ROW_MAC: return _("MAC Address");
    case ROW_NETWORK: return _("Connection");
    case ROW_API_PORT: return _("API Port");
    case ROW_API_ENCRYPTION: return _("API Encryption");
    case ROW_OTA_PORT: return _("OTA Port");
    case ROW_WEB_PORT: return _("Web Server Port");
    case N_ROWS:
    default:
      return "";
    }
}

/* "mDNS, configuration, added by address" */
static char *
describe_sources (EspyDeviceSources sources)
{
  g_autoptr(GPtrArray) parts = g_ptr_array_new ();

  if (sources & ESPY_DEVICE_SOURCES_MDNS)
    g_ptr_array_add (parts, (gpointer) _("mDNS"));
  if (sources & ESPY_DEVICE_SOURCES_CONFIG)
    g_ptr_array_add (parts, (gpointer) _("configuration folder"));
  if (sources & ESPY_DEVICE_SOURCES_MANUAL)
    g_ptr_array_add (parts, (gpointer) _("added by address"));
  if (sources & ESPY_DEVICE_SOURCES_API)
    g_ptr_array_add (parts, (gpointer) _("native API"));
  if (sources & ESPY_DEVICE_SOURCES_PROBE)
    g_ptr_array_add (parts, (gpointer) _("port probe"));
  if (parts->len == 0)
    return g_strdup (_("Nothing"));
  g_ptr_array_add (parts, NULL);
  /* Translators: the separator between sources, as in "mDNS, native API" */
  return g_strjoinv (_(", "), (char **) parts->pdata);
}

/* "wifi" -> "Wi-Fi", as the rest of the desktop writes it. */
static const char *
describe_network (const char *network)
{
  if (network == NULL)
    return _("Unknown");
  if (g_ascii_strcasecmp (network, "wifi") == 0)
    return _("Wi-Fi");
  if (g_ascii_strcasecmp (network, "ethernet") == 0)
    return _("Ethernet");
  if (g_ascii_strcasecmp (network, "thread") == 0)
    return _("Thread");
  return network;
}

static char *
format_port (guint16 port)
{
  return port != 0 ? g_strdup_printf ("%u", (guint) port) : g_strdup (_("None"));
}

static const char *
or_unknown (const char *value)
{
  return value != NULL && *value != '\0' ? value : _("Unknown");
}

static void
set_value (EspyDevicePage *self,
           DetailRow       row,
           const char     *value)
{
  gtk_label_set_text (self->values[row], value);
}

static gboolean
has_web (EspyDevicePage *self)
{
  return self->device != NULL && espy_device_get_web_port (self->device) != 0;
}

static char *
web_url (EspyDevicePage *self)
{
  const char *address = espy_device_get_address (self->device);
  guint port = espy_device_get_web_port (self->device);

  /* IPv6 literals go in brackets. */
  if (strchr (address, ':') != NULL)
    return port == 80 ? g_strdup_printf ("http://[%s]/", address)
                      : g_strdup_printf ("http://[%s]:%u/", address, port);
  return port == 80 ? g_strdup_printf ("http://%s/", address)
                    : g_strdup_printf ("http://%s:%u/", address, port);
}

static void
update (EspyDevicePage *self)
{
  EspyDevice *device = self->device;
  g_autofree char *mac = NULL;
  g_autofree char *sources = NULL;
  g_autofree char *api_port = NULL;
  g_autofree char *ota_port = NULL;
  g_autofree char *web_port = NULL;
  g_autofree char *update_text = NULL;
  g_autofree char *status = NULL;
  const char *encryption;

  gtk_widget_set_visible (adw_bin_get_child (ADW_BIN (self)), device != NULL);
  if (device == NULL)
    return;

  gtk_label_set_text (self->name_label, espy_device_get_display_name (device));
  status = g_strdup_printf ("%s — %s",
                            espy_device_get_online (device) ? _("Online") : _("Offline"),
                            or_unknown (espy_device_get_reachability (device)));
  gtk_label_set_text (self->status_label, status);

  set_value (self, ROW_NAME, espy_device_get_display_name (device));
  set_value (self, ROW_NODE_NAME, or_unknown (espy_device_get_name (device)));
  set_value (self, ROW_PLATFORM, or_unknown (espy_device_get_platform (device)));
  set_value (self, ROW_BOARD, or_unknown (espy_device_get_board (device)));
  set_value (self, ROW_VERSION, or_unknown (espy_device_get_version (device)));

  if (espy_device_get_update_available (device))
    update_text = g_strdup_printf ("%s\n%s", _("Update available"),
                                   or_unknown (espy_device_get_update_reason (device)));
  else if (espy_device_get_version (device) == NULL)
    update_text = g_strdup (_("Unknown: the device has not said which version it runs"));
  else
    update_text = g_strdup (_("No update known"));
  set_value (self, ROW_UPDATE, update_text);

  if (espy_device_get_config_path (device) != NULL)
    {
      g_autofree char *base = g_path_get_basename (espy_device_get_config_path (device));

      set_value (self, ROW_CONFIG, base);
      gtk_widget_set_tooltip_text (GTK_WIDGET (self->values[ROW_CONFIG]), espy_device_get_config_path (device));
    }
  else
    {
      set_value (self, ROW_CONFIG, _("None in the folder"));
      gtk_widget_set_tooltip_text (GTK_WIDGET (self->values[ROW_CONFIG]), NULL);
    }

  sources = describe_sources (espy_device_get_sources (device));
  set_value (self, ROW_SOURCES, sources);

  set_value (self, ROW_REACHABILITY, status);
  set_value (self, ROW_ADDRESS, espy_device_get_address (device));
  mac = espy_device_get_mac (device) != NULL ? espy_mac_format (espy_device_get_mac (device)) : NULL;
  set_value (self, ROW_MAC, or_unknown (mac));
  set_value (self, ROW_NETWORK, describe_network (espy_device_get_network (device)));

  api_port = format_port (espy_device_get_api_port (device));
  ota_port = format_port (espy_device_get_ota_port (device));
  web_port = format_port (espy_device_get_web_port (device));
  set_value (self, ROW_API_PORT, api_port);
  set_value (self, ROW_OTA_PORT, ota_port);
  set_value (self, ROW_WEB_PORT, web_port);

  switch (espy_device_get_api_encryption (device))
    {
    case ESPY_TRISTATE_YES: encryption = _("On (Noise)"); break;
    case ESPY_TRISTATE_NO: encryption = _("Off"); break;
    case ESPY_TRISTATE_UNKNOWN:
    default: encryption = _("Unknown"); break;
    }
  set_value (self, ROW_API_ENCRYPTION, encryption);

  if (has_web (self))
    {
      g_autofree char *url = web_url (self);

      adw_action_row_set_subtitle (self->web_row, url);
    }
  else
    adw_action_row_set_subtitle (self->web_row, _("The device has no web server"));
  gtk_widget_set_sensitive (GTK_WIDGET (self->web_row), has_web (self));
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "page.visit-web", has_web (self));

  /* The window's per-device actions take the node name: target first,
   * so the row never names a parameterised action without one. */
  {
    AdwActionRow *rows[] = { self->logs_row, self->password_row, self->troubleshoot_row };
    const char *actions[] = { "win.show-logs", "win.change-password", "win.troubleshoot" };

    for (guint i = 0; i < G_N_ELEMENTS (rows); i++)
      {
        gtk_actionable_set_action_target_value (GTK_ACTIONABLE (rows[i]),
                                                g_variant_new_string (espy_device_get_name (device)));
        gtk_actionable_set_action_name (GTK_ACTIONABLE (rows[i]), actions[i]);
      }
  }

  gtk_widget_set_visible (self->forget_group,
                          (espy_device_get_sources (device) & ESPY_DEVICE_SOURCES_MANUAL) != 0);
}

/* --- application lookups ----------------------------------------------------- */

static EspyApplication *
lookup_application (EspyDevicePage *self)
{
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));
  GtkApplication *app = GTK_IS_WINDOW (root) ? gtk_window_get_application (GTK_WINDOW (root)) : NULL;

  return ESPY_IS_APPLICATION (app) ? ESPY_APPLICATION (app) : NULL;
}

static EspyManualDevices *
get_manual_devices (EspyDevicePage *self)
{
  EspyApplication *app;

  if (self->manual != NULL)
    return self->manual;
  app = lookup_application (self);
  return app != NULL ? espy_application_get_manual_devices (app) : NULL;
}

static EspyDeviceStore *
get_store (EspyDevicePage *self)
{
  EspyApplication *app;

  if (self->store != NULL)
    return self->store;
  app = lookup_application (self);
  return app != NULL ? espy_application_get_device_store (app) : NULL;
}

/* --- actions ------------------------------------------------------------------ */

static void
install_action (GtkWidget  *widget,
                const char *action_name,
                GVariant   *parameter)
{
  EspyDevicePage *self = ESPY_DEVICE_PAGE (widget);
  GtkRoot *root = gtk_widget_get_root (widget);
  GtkWidget *dialog;

  if (self->device == NULL)
    return;
  /* The window knows about running installs; without it, open the dialog. */
  if (gtk_widget_activate_action (widget, "win.install", "s", espy_device_get_name (self->device)))
    return;
  dialog = espy_install_dialog_new (GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL, self->device);
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
visit_web_action (GtkWidget  *widget,
                  const char *action_name,
                  GVariant   *parameter)
{
  EspyDevicePage *self = ESPY_DEVICE_PAGE (widget);
  GtkRoot *root = gtk_widget_get_root (widget);
  g_autofree char *url = NULL;

  if (!has_web (self))
    return;
  url = web_url (self);
  gtk_show_uri (GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL, url, GDK_CURRENT_TIME);
}

static void
show_error (EspyDevicePage *self,
            const char     *heading,
            const char     *body)
{
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));
  GtkWidget *dialog;

  dialog = adw_message_dialog_new (GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL, heading, body);
  adw_message_dialog_add_response (ADW_MESSAGE_DIALOG (dialog), "close", _("_Close"));
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
forget_response_cb (AdwMessageDialog *dialog,
                    const char       *response,
                    EspyDevicePage   *self)
{
  g_autoptr(EspyDeviceInfo) info = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *key = NULL;
  EspyManualDevices *manual;

  if (g_strcmp0 (response, "forget") != 0 || self->device == NULL)
    return;

  info = espy_device_dup_source_info (self->device, ESPY_DEVICE_SOURCE_MANUAL);
  key = info != NULL ? espy_manual_devices_entry_key (info) : NULL;
  if (key == NULL)
    return;

  manual = get_manual_devices (self);
  /* The list on disk when there is one (the store follows it), else only
   * the store's entry. */
  if (manual != NULL)
    {
      if (!espy_manual_devices_remove (manual, key, &error))
        show_error (self, _("Could Not Forget the Device"), error->message);
    }
  else if (get_store (self) != NULL)
    espy_device_store_remove (get_store (self), ESPY_DEVICE_SOURCE_MANUAL, key);
}

static void
forget_action (GtkWidget  *widget,
               const char *action_name,
               GVariant   *parameter)
{
  EspyDevicePage *self = ESPY_DEVICE_PAGE (widget);
  GtkRoot *root = gtk_widget_get_root (widget);
  g_autofree char *heading = NULL;
  g_autofree char *body = NULL;
  GtkWidget *dialog;

  if (self->device == NULL)
    return;

  /* Translators: %s is a device name */
  heading = g_strdup_printf (_("Forget %s?"), espy_device_get_display_name (self->device));
  /* Translators: %s is an address */
  body = g_strdup_printf (_("Espy stops looking for the device at %s. The device itself is not changed, "
                            "and it comes back if mDNS or the configuration folder still knows it."),
                          espy_device_get_address (self->device));
  dialog = adw_message_dialog_new (GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL, heading, body);
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog),
                                    "cancel", _("_Cancel"),
                                    "forget", _("_Forget"),
                                    NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "forget",
                                              ADW_RESPONSE_DESTRUCTIVE);
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  g_signal_connect_object (dialog, "response", G_CALLBACK (forget_response_cb), self, 0);
  gtk_window_present (GTK_WINDOW (dialog));
}

/* --- public -------------------------------------------------------------------- */

GtkWidget *
espy_device_page_new (void)
{
  return g_object_new (ESPY_TYPE_DEVICE_PAGE, NULL);
}

EspyDevice *
espy_device_page_get_device (EspyDevicePage *self)
{
  g_return_val_if_fail (ESPY_IS_DEVICE_PAGE (self), NULL);
  return self->device;
}

void
espy_device_page_set_device (EspyDevicePage *self,
                             EspyDevice     *device)
{
  g_return_if_fail (ESPY_IS_DEVICE_PAGE (self));
  g_return_if_fail (device == NULL || ESPY_IS_DEVICE (device));

  if (self->device == device)
    return;
  if (self->device != NULL)
    g_signal_handlers_disconnect_by_data (self->device, self);
  g_set_object (&self->device, device);
  if (device != NULL)
    g_signal_connect_object (device, "notify", G_CALLBACK (update), self, G_CONNECT_SWAPPED);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "page.install", device != NULL);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "page.forget", device != NULL);
  update (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_DEVICE]);
}

/* --- GObject ------------------------------------------------------------------- */

static void
espy_device_page_dispose (GObject *object)
{
  EspyDevicePage *self = ESPY_DEVICE_PAGE (object);

  if (self->device != NULL)
    g_signal_handlers_disconnect_by_data (self->device, self);
  g_clear_object (&self->device);
  g_clear_object (&self->store);
  g_clear_object (&self->manual);

  gtk_widget_dispose_template (GTK_WIDGET (self), ESPY_TYPE_DEVICE_PAGE);

  G_OBJECT_CLASS (espy_device_page_parent_class)->dispose (object);
}

static void
espy_device_page_get_property (GObject    *object,
                               guint       prop_id,
                               GValue     *value,
                               GParamSpec *pspec)
{
  EspyDevicePage *self = ESPY_DEVICE_PAGE (object);

  switch (prop_id)
    {
    case PROP_DEVICE: g_value_set_object (value, self->device); break;
    case PROP_DEVICE_STORE: g_value_set_object (value, self->store); break;
    case PROP_MANUAL_DEVICES: g_value_set_object (value, self->manual); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
espy_device_page_set_property (GObject      *object,
                               guint         prop_id,
                               const GValue *value,
                               GParamSpec   *pspec)
{
  EspyDevicePage *self = ESPY_DEVICE_PAGE (object);

  switch (prop_id)
    {
    case PROP_DEVICE: espy_device_page_set_device (self, g_value_get_object (value)); break;
    case PROP_DEVICE_STORE: g_set_object (&self->store, g_value_get_object (value)); break;
    case PROP_MANUAL_DEVICES: g_set_object (&self->manual, g_value_get_object (value)); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
espy_device_page_class_init (EspyDevicePageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = espy_device_page_dispose;
  object_class->get_property = espy_device_page_get_property;
  object_class->set_property = espy_device_page_set_property;

  properties[PROP_DEVICE] =
    g_param_spec_object ("device", NULL, NULL, ESPY_TYPE_DEVICE,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_DEVICE_STORE] =
    g_param_spec_object ("device-store", NULL, NULL, ESPY_TYPE_DEVICE_STORE,
                         G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);
  properties[PROP_MANUAL_DEVICES] =
    g_param_spec_object ("manual-devices", NULL, NULL, ESPY_TYPE_MANUAL_DEVICES,
                         G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_template_from_resource (widget_class, "/io/github/espy/Espy/espy-device-page.ui");
  gtk_widget_class_bind_template_child (widget_class, EspyDevicePage, name_label);
  gtk_widget_class_bind_template_child (widget_class, EspyDevicePage, status_label);
  gtk_widget_class_bind_template_child (widget_class, EspyDevicePage, details_group);
  gtk_widget_class_bind_template_child (widget_class, EspyDevicePage, network_group);
  gtk_widget_class_bind_template_child (widget_class, EspyDevicePage, web_row);
  gtk_widget_class_bind_template_child (widget_class, EspyDevicePage, logs_row);
  gtk_widget_class_bind_template_child (widget_class, EspyDevicePage, password_row);
  gtk_widget_class_bind_template_child (widget_class, EspyDevicePage, troubleshoot_row);
  gtk_widget_class_bind_template_child (widget_class, EspyDevicePage, forget_group);

  gtk_widget_class_install_action (widget_class, "page.install", NULL, install_action);
  gtk_widget_class_install_action (widget_class, "page.visit-web", NULL, visit_web_action);
  gtk_widget_class_install_action (widget_class, "page.forget", NULL, forget_action);
}

static void
espy_device_page_init (EspyDevicePage *self)
{
  guint i;

  gtk_widget_init_template (GTK_WIDGET (self));

  for (i = 0; i < N_ROWS; i++)
    {
      GtkWidget *row = adw_action_row_new ();
      GtkWidget *value = gtk_label_new (NULL);

      adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), row_title (i));
      /* Values are what people copy into a terminal or a bug report. */
      gtk_label_set_selectable (GTK_LABEL (value), TRUE);
      gtk_label_set_wrap (GTK_LABEL (value), TRUE);
      gtk_label_set_wrap_mode (GTK_LABEL (value), PANGO_WRAP_WORD_CHAR);
      gtk_label_set_xalign (GTK_LABEL (value), 1.0);
      gtk_label_set_justify (GTK_LABEL (value), GTK_JUSTIFY_RIGHT);
      /* Short values stay on one line; long ones wrap in the space the
       * title leaves. */
      gtk_label_set_width_chars (GTK_LABEL (value), 12);
      gtk_label_set_max_width_chars (GTK_LABEL (value), 40);
      gtk_widget_set_hexpand (value, TRUE);
      gtk_widget_set_margin_top (value, 6);
      gtk_widget_set_margin_bottom (value, 6);
      gtk_widget_add_css_class (value, "dim-label");
      adw_action_row_add_suffix (ADW_ACTION_ROW (row), value);
      self->values[i] = GTK_LABEL (value);
      adw_preferences_group_add (i < ROW_REACHABILITY ? self->details_group : self->network_group, row);
    }

  gtk_widget_action_set_enabled (GTK_WIDGET (self), "page.install", FALSE);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "page.forget", FALSE);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "page.visit-web", FALSE);
  update (self);
}
