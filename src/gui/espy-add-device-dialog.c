/* espy-add-device-dialog.c
 *
 * Copyright 2026 The Espy authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <glib/gi18n.h>
#include <string.h>

#include "espy-add-device-dialog.h"
#include "espy-window.h"

struct _EspyAddDeviceDialog
{
  AdwMessageDialog  parent_instance;

  EspyApplication  *application;

  /* Template widgets */
  AdwEntryRow      *address_row;
  AdwComboRow      *transport_row;
  AdwExpanderRow   *ports_row;
  AdwEntryRow      *ota_port_row;
  AdwEntryRow      *api_port_row;
  AdwEntryRow      *web_port_row;
};

G_DEFINE_FINAL_TYPE (EspyAddDeviceDialog, espy_add_device_dialog, ADW_TYPE_MESSAGE_DIALOG)

/* The order of the transport row's items. */
static const EspyDeviceTransport transports[] = {
  ESPY_DEVICE_TRANSPORT_AUTO,
  ESPY_DEVICE_TRANSPORT_OTA,
  ESPY_DEVICE_TRANSPORT_WEB,
};

/* "" is "the default" (0); anything but 1..65535 is invalid. */
static gboolean
parse_port (AdwEntryRow *row,
            guint16     *port)
{
  g_autofree char *text = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (row))));
  guint64 value = 0;

  *port = 0;
  if (*text == '\0')
    return TRUE;
  if (!g_ascii_string_to_unsigned (text, 10, 1, G_MAXUINT16, &value, NULL))
    return FALSE;

  *port = (guint16) value;
  return TRUE;
}

/* A host name or address: letters, digits, '-', '.', ':' (IPv6), '%' (scope). */
static gboolean
address_is_valid (const char *text)
{
  if (*text == '\0' || strlen (text) > 253)
    return FALSE;

  for (const char *p = text; *p != '\0'; p++)
    if (!g_ascii_isalnum (*p) && *p != '-' && *p != '.' && *p != ':' && *p != '%' && *p != '_')
      return FALSE;

  return TRUE;
}

static void
set_row_error (AdwEntryRow *row,
               gboolean     error)
{
  if (error)
    gtk_widget_add_css_class (GTK_WIDGET (row), "error");
  else
    gtk_widget_remove_css_class (GTK_WIDGET (row), "error");
}

static gboolean
espy_add_device_dialog_validate (EspyAddDeviceDialog *self)
{
  g_autofree char *address = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->address_row))));
  AdwEntryRow *port_rows[] = { self->ota_port_row, self->api_port_row, self->web_port_row };
  gboolean valid = TRUE;

  /* An empty field is not yet an error; a wrong character is. */
  set_row_error (self->address_row, *address != '\0' && !address_is_valid (address));
  valid = address_is_valid (address);

  for (guint i = 0; i < G_N_ELEMENTS (port_rows); i++)
    {
      guint16 port;
      gboolean ok = parse_port (port_rows[i], &port);

      set_row_error (port_rows[i], !ok);
      valid = valid && ok;
    }

  return valid;
}

static void
input_changed_cb (EspyAddDeviceDialog *self)
{
  adw_message_dialog_set_response_enabled (ADW_MESSAGE_DIALOG (self), "add",
                                           espy_add_device_dialog_validate (self));
}

static EspyDeviceInfo *
espy_add_device_dialog_build_entry (EspyAddDeviceDialog *self)
{
  g_autofree char *address = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->address_row))));
  g_autoptr(EspyDeviceInfo) entry = espy_device_info_new ();
  guint selected = adw_combo_row_get_selected (self->transport_row);

  /* A bare word is an ESPHome node name (reached as name.local); anything
   * with a dot or colon is a host name or an IP address. */
  if (strchr (address, '.') == NULL && strchr (address, ':') == NULL)
    espy_device_info_set_name (entry, address);
  else
    espy_device_info_set_host (entry, address);

  parse_port (self->ota_port_row, &entry->ota_port);
  parse_port (self->api_port_row, &entry->api_port);
  parse_port (self->web_port_row, &entry->web_port);
  entry->ota_transport = selected < G_N_ELEMENTS (transports) ? transports[selected] : ESPY_DEVICE_TRANSPORT_AUTO;

  return g_steal_pointer (&entry);
}

static void
response_cb (EspyAddDeviceDialog *self,
             const char          *response,
             gpointer             user_data)
{
  g_autoptr(EspyDeviceInfo) entry = NULL;
  g_autoptr(GError) error = NULL;
  GtkWindow *parent;

  if (g_strcmp0 (response, "add") != 0 || !espy_add_device_dialog_validate (self))
    return;

  entry = espy_add_device_dialog_build_entry (self);
  parent = gtk_window_get_transient_for (GTK_WINDOW (self));

  if (!espy_application_add_device (self->application, entry, &error))
    {
      g_autofree char *text = NULL;

      /* Translators: %s says why */
      text = g_strdup_printf (_("Could not add the device: %s"), error->message);
      if (ESPY_IS_WINDOW (parent))
        espy_window_add_toast (ESPY_WINDOW (parent), text);
      else
        g_warning ("%s", text);
    }
}

static void
espy_add_device_dialog_dispose (GObject *object)
{
  EspyAddDeviceDialog *self = ESPY_ADD_DEVICE_DIALOG (object);

  gtk_widget_dispose_template (GTK_WIDGET (self), ESPY_TYPE_ADD_DEVICE_DIALOG);
  g_clear_object (&self->application);

  G_OBJECT_CLASS (espy_add_device_dialog_parent_class)->dispose (object);
}

static void
espy_add_device_dialog_class_init (EspyAddDeviceDialogClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = espy_add_device_dialog_dispose;

  gtk_widget_class_set_template_from_resource (widget_class, "/io/github/espy/Espy/espy-add-device-dialog.ui");
  gtk_widget_class_bind_template_child (widget_class, EspyAddDeviceDialog, address_row);
  gtk_widget_class_bind_template_child (widget_class, EspyAddDeviceDialog, transport_row);
  gtk_widget_class_bind_template_child (widget_class, EspyAddDeviceDialog, ports_row);
  gtk_widget_class_bind_template_child (widget_class, EspyAddDeviceDialog, ota_port_row);
  gtk_widget_class_bind_template_child (widget_class, EspyAddDeviceDialog, api_port_row);
  gtk_widget_class_bind_template_child (widget_class, EspyAddDeviceDialog, web_port_row);
  gtk_widget_class_bind_template_callback (widget_class, input_changed_cb);
  gtk_widget_class_bind_template_callback (widget_class, response_cb);
}

static void
espy_add_device_dialog_init (EspyAddDeviceDialog *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}

GtkWidget *
espy_add_device_dialog_new (GtkWindow       *parent,
                            EspyApplication *application)
{
  EspyAddDeviceDialog *self;

  g_return_val_if_fail (parent == NULL || GTK_IS_WINDOW (parent), NULL);
  g_return_val_if_fail (ESPY_IS_APPLICATION (application), NULL);

  self = g_object_new (ESPY_TYPE_ADD_DEVICE_DIALOG,
                       "transient-for", parent,
                       "modal", TRUE,
                       NULL);
  self->application = g_object_ref (application);

  return GTK_WIDGET (self);
}
