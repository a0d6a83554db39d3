/* espy-device.c
 *
 * Copyright 2026 The Espy authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "espy-device-private.h"

#include <glib/gi18n-lib.h>
#include <gio/gio.h>
#include <string.h>

#include "espy-ota-protocol.h"
#include "espy-version.h"

#define DEFAULT_API_PORT 6053

struct _EspyDevice {
  GObject            parent_instance;

  char              *name;
  char              *name_key;
  char              *identity_mac;
  GPtrArray         *records;          /* EspyDeviceRecord* */
  gboolean           show_mac;
  char              *esphome_version;
  EspyDeviceProbe    probe;
  gint64             last_online_wall;

  /* Derived by espy_device_refresh() */
  EspyDeviceInfo    *merged;
  char              *display_name;
  char              *sort_key;
  char              *address;
  guint16            api_port;
  guint16            ota_port;
  guint16            web_port;
  gboolean           online;
  char              *reachability;
  EspyDeviceSources  sources;
  gboolean           update_available;
  char              *update_reason;
};

G_DEFINE_FINAL_TYPE (EspyDevice, espy_device, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_NAME,
  PROP_FRIENDLY_NAME,
  PROP_DISPLAY_NAME,
  PROP_MAC,
  PROP_ADDRESS,
  PROP_PLATFORM,
  PROP_BOARD,
  PROP_VERSION,
  PROP_NETWORK,
  PROP_API_PORT,
  PROP_OTA_PORT,
  PROP_WEB_PORT,
  PROP_API_ENCRYPTION,
  PROP_OTA_TRANSPORT,
  PROP_CONFIG_PATH,
  PROP_ONLINE,
  PROP_REACHABILITY,
  PROP_SOURCES,
  PROP_UPDATE_AVAILABLE,
  PROP_UPDATE_REASON,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* Live facts (what runs, where it is): what the user typed, then what the
 * device itself says, then what the config expects. */
static const EspyDeviceSource live_order[] = {
  ESPY_DEVICE_SOURCE_MANUAL, ESPY_DEVICE_SOURCE_API, ESPY_DEVICE_SOURCE_MDNS,
  ESPY_DEVICE_SOURCE_CONFIG, ESPY_DEVICE_SOURCE_PROBE,
};
/* Config facts (OTA/web port, config path): no mDNS key announces them. */
static const EspyDeviceSource config_order[] = {
  ESPY_DEVICE_SOURCE_CONFIG, ESPY_DEVICE_SOURCE_MANUAL, ESPY_DEVICE_SOURCE_API,
  ESPY_DEVICE_SOURCE_MDNS, ESPY_DEVICE_SOURCE_PROBE,
};

/* --- records -------------------------------------------------------------- */

EspyDeviceRecord *
espy_device_record_new (EspyDeviceSource  source,
                        const char       *key,
                        EspyDeviceInfo   *info)
{
  EspyDeviceRecord *record = g_new0 (EspyDeviceRecord, 1);

  record->source = source;
  record->key = g_strdup (key);
  record->info = espy_device_info_ref (info);
  record->seen_mono = g_get_monotonic_time ();
  record->seen_wall = g_get_real_time ();
  return record;
}

void
espy_device_record_free (EspyDeviceRecord *record)
{
  if (record == NULL)
    return;
  g_free (record->key);
  espy_device_info_unref (record->info);
  g_free (record);
}

/* --- GObject -------------------------------------------------------------- */

static void
espy_device_finalize (GObject *object)
{
  EspyDevice *self = ESPY_DEVICE (object);

  g_free (self->name);
  g_free (self->name_key);
  g_free (self->identity_mac);
  g_ptr_array_unref (self->records);
  g_free (self->esphome_version);
  if (self->probe.cancellable != NULL)
    g_cancellable_cancel (self->probe.cancellable);
  g_clear_object (&self->probe.cancellable);
  g_clear_pointer (&self->merged, espy_device_info_unref);
  g_free (self->display_name);
  g_free (self->sort_key);
  g_free (self->address);
  g_free (self->reachability);
  g_free (self->update_reason);

  G_OBJECT_CLASS (espy_device_parent_class)->finalize (object);
}

static void
espy_device_get_property (GObject    *object,
                          guint       prop_id,
                          GValue     *value,
                          GParamSpec *pspec)
{
  EspyDevice *self = ESPY_DEVICE (object);

  switch (prop_id)
    {
    case PROP_NAME: g_value_set_string (value, self->name); break;
    case PROP_FRIENDLY_NAME: g_value_set_string (value, self->merged->friendly_name); break;
    case PROP_DISPLAY_NAME: g_value_set_string (value, self->display_name); break;
    case PROP_MAC: g_value_set_string (value, self->merged->mac); break;
    case PROP_ADDRESS: g_value_set_string (value, self->address); break;
    case PROP_PLATFORM: g_value_set_string (value, self->merged->platform); break;
    case PROP_BOARD: g_value_set_string (value, self->merged->board); break;
    case PROP_VERSION: g_value_set_string (value, self->merged->version); break;
    case PROP_NETWORK: g_value_set_string (value, self->merged->network); break;
    case PROP_API_PORT: g_value_set_uint (value, self->api_port); break;
    case PROP_OTA_PORT: g_value_set_uint (value, self->ota_port); break;
    case PROP_WEB_PORT: g_value_set_uint (value, self->web_port); break;
    case PROP_API_ENCRYPTION: g_value_set_enum (value, self->merged->api_encryption); break;
    case PROP_OTA_TRANSPORT: g_value_set_enum (value, self->merged->ota_transport); break;
    case PROP_CONFIG_PATH: g_value_set_string (value, self->merged->config_path); break;
    case PROP_ONLINE: g_value_set_boolean (value, self->online); break;
    case PROP_REACHABILITY: g_value_set_string (value, self->reachability); break;
    case PROP_SOURCES: g_value_set_flags (value, self->sources); break;
    case PROP_UPDATE_AVAILABLE: g_value_set_boolean (value, self->update_available); break;
    case PROP_UPDATE_REASON: g_value_set_string (value, self->update_reason); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
espy_device_class_init (EspyDeviceClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  const GParamFlags flags = G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS;

  object_class->finalize = espy_device_finalize;
  object_class->get_property = espy_device_get_property;

  properties[PROP_NAME] = g_param_spec_string ("name", NULL, NULL, NULL, flags);
  properties[PROP_FRIENDLY_NAME] = g_param_spec_string ("friendly-name", NULL, NULL, NULL, flags);
  properties[PROP_DISPLAY_NAME] = g_param_spec_string ("display-name", NULL, NULL, NULL, flags);
  properties[PROP_MAC] = g_param_spec_string ("mac", NULL, NULL, NULL, flags);
  properties[PROP_ADDRESS] = g_param_spec_string ("address", NULL, NULL, NULL, flags);
  properties[PROP_PLATFORM] = g_param_spec_string ("platform", NULL, NULL, NULL, flags);
  properties[PROP_BOARD] = g_param_spec_string ("board", NULL, NULL, NULL, flags);
  properties[PROP_VERSION] = g_param_spec_string ("version", NULL, NULL, NULL, flags);
  properties[PROP_NETWORK] = g_param_spec_string ("network", NULL, NULL, NULL, flags);
  properties[PROP_API_PORT] = g_param_spec_uint ("api-port", NULL, NULL, 0, G_MAXUINT16, DEFAULT_API_PORT, flags);
  properties[PROP_OTA_PORT] = g_param_spec_uint ("ota-port", NULL, NULL, 0, G_MAXUINT16, 3232, flags);
  properties[PROP_WEB_PORT] = g_param_spec_uint ("web-port", NULL, NULL, 0, G_MAXUINT16, 0, flags);
  properties[PROP_API_ENCRYPTION] = g_param_spec_enum ("api-encryption", NULL, NULL, ESPY_TYPE_TRISTATE,
                                                       ESPY_TRISTATE_UNKNOWN, flags);
  properties[PROP_OTA_TRANSPORT] = g_param_spec_enum ("ota-transport", NULL, NULL, ESPY_TYPE_DEVICE_TRANSPORT,
                                                      ESPY_DEVICE_TRANSPORT_UNSET, flags);
  properties[PROP_CONFIG_PATH] = g_param_spec_string ("config-path", NULL, NULL, NULL, flags);
  properties[PROP_ONLINE] = g_param_spec_boolean ("online", NULL, NULL, FALSE, flags);
  properties[PROP_REACHABILITY] = g_param_spec_string ("reachability", NULL, NULL, NULL, flags);
  properties[PROP_SOURCES] = g_param_spec_flags ("sources", NULL, NULL, ESPY_TYPE_DEVICE_SOURCES,
                                                 ESPY_DEVICE_SOURCES_NONE, flags);
  properties[PROP_UPDATE_AVAILABLE] = g_param_spec_boolean ("update-available", NULL, NULL, FALSE, flags);
  properties[PROP_UPDATE_REASON] = g_param_spec_string ("update-reason", NULL, NULL, NULL, flags);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
espy_device_init (EspyDevice *self)
{
  self->records = g_ptr_array_new_with_free_func ((GDestroyNotify) espy_device_record_free);
  self->merged = espy_device_info_new ();
  self->api_port = DEFAULT_API_PORT;
  self->ota_port = 3232;
}

EspyDevice *
espy_device_new (const char *name,
                 const char *mac)
{
  EspyDevice *self;

  g_return_val_if_fail (name != NULL, NULL);

  self = g_object_new (ESPY_TYPE_DEVICE, NULL);
  self->name = g_strdup (name);
  self->name_key = g_ascii_strdown (name, -1);
  self->identity_mac = g_strdup (mac);
  self->display_name = g_strdup (name);
  self->address = g_strdup (name);
  return self;
}

/* --- private API ---------------------------------------------------------- */

const char *
espy_device_get_identity_mac (EspyDevice *self)
{
  return self->identity_mac;
}

void
espy_device_set_identity_mac (EspyDevice *self,
                              const char *mac)
{
  g_free (self->identity_mac);
  self->identity_mac = g_strdup (mac);
}

const char *
espy_device_get_name_key (EspyDevice *self)
{
  return self->name_key;
}

GPtrArray *
espy_device_get_records (EspyDevice *self)
{
  return self->records;
}

GPtrArray *
espy_device_steal_records (EspyDevice *self)
{
  GPtrArray *records = self->records;

  self->records = g_ptr_array_new_with_free_func ((GDestroyNotify) espy_device_record_free);
  return records;
}

void
espy_device_add_record (EspyDevice       *self,
                        EspyDeviceRecord *record)
{
  g_ptr_array_add (self->records, record);
}

void
espy_device_set_show_mac (EspyDevice *self,
                          gboolean    show_mac)
{
  self->show_mac = !!show_mac;
}

void
espy_device_set_esphome_version (EspyDevice *self,
                                 const char *version)
{
  g_free (self->esphome_version);
  self->esphome_version = g_strdup (version);
}

EspyDeviceProbe *
espy_device_get_probe (EspyDevice *self)
{
  return &self->probe;
}

const char *
espy_device_get_sort_key (EspyDevice *self)
{
  return self->sort_key;
}

static gboolean
has_source (EspyDevice       *self,
            EspyDeviceSource  source)
{
  for (guint i = 0; i < self->records->len; i++)
    if (((EspyDeviceRecord *) g_ptr_array_index (self->records, i))->source == source)
      return TRUE;
  return FALSE;
}

gboolean
espy_device_is_seen_passively (EspyDevice *self)
{
  return has_source (self, ESPY_DEVICE_SOURCE_MDNS) || has_source (self, ESPY_DEVICE_SOURCE_API);
}

/* --- merging -------------------------------------------------------------- */

static int
record_newest_first (gconstpointer a,
                     gconstpointer b)
{
  const EspyDeviceRecord *ra = *(EspyDeviceRecord * const *) a;
  const EspyDeviceRecord *rb = *(EspyDeviceRecord * const *) b;

  if (ra->seen_mono != rb->seen_mono)
    return ra->seen_mono > rb->seen_mono ? -1 : 1;
  return g_strcmp0 (ra->key, rb->key);
}

/* The records of SOURCE, newest first (borrowed pointers). */
static GPtrArray *
records_of (EspyDevice       *self,
            EspyDeviceSource  source)
{
  GPtrArray *out = g_ptr_array_new ();

  for (guint i = 0; i < self->records->len; i++)
    {
      EspyDeviceRecord *record = g_ptr_array_index (self->records, i);

      if (record->source == source)
        g_ptr_array_add (out, record);
    }
  g_ptr_array_sort (out, record_newest_first);
  return out;
}

/* Every record, ordered by ORDER and newest first within a source. */
static GPtrArray *
records_in_order (EspyDevice             *self,
                  const EspyDeviceSource *order)
{
  GPtrArray *out = g_ptr_array_new ();

  for (guint s = 0; s < ESPY_DEVICE_N_SOURCES; s++)
    {
      g_autoptr(GPtrArray) part = records_of (self, order[s]);

      for (guint i = 0; i < part->len; i++)
        g_ptr_array_add (out, g_ptr_array_index (part, i));
    }
  return out;
}

#define PICK_STR(list, field) G_STMT_START { \
    for (guint i_ = 0; i_ < (list)->len; i_++) \
      { \
        EspyDeviceRecord *r_ = g_ptr_array_index ((list), i_); \
        if (r_->info->field != NULL) \
          { merged->field = g_strdup (r_->info->field); break; } \
      } \
  } G_STMT_END
#define PICK_NUM(list, field, unset) G_STMT_START { \
    for (guint i_ = 0; i_ < (list)->len; i_++) \
      { \
        EspyDeviceRecord *r_ = g_ptr_array_index ((list), i_); \
        if (r_->info->field != (unset)) \
          { merged->field = r_->info->field; break; } \
      } \
  } G_STMT_END

static EspyDeviceInfo *
merge_records (EspyDevice *self)
{
  g_autoptr(GPtrArray) live = records_in_order (self, live_order);
  g_autoptr(GPtrArray) config = records_in_order (self, config_order);
  EspyDeviceInfo *merged = espy_device_info_new ();

  merged->name = g_strdup (self->name);
  PICK_STR (live, friendly_name);
  PICK_STR (live, mac);
  PICK_STR (live, platform);
  PICK_STR (live, board);
  PICK_STR (live, version);
  PICK_STR (live, network);
  PICK_STR (live, project_name);
  PICK_STR (live, project_version);
  PICK_STR (live, package_import_url);
  PICK_STR (live, config_hash);
  PICK_NUM (live, api_port, 0);
  PICK_NUM (live, api_encryption, ESPY_TRISTATE_UNKNOWN);
  PICK_NUM (live, api_encryption_supported, ESPY_TRISTATE_UNKNOWN);
  PICK_NUM (config, ota_port, 0);
  PICK_NUM (config, web_port, 0);
  PICK_STR (config, config_path);
  PICK_STR (config, deployed_version);

  /* The transport is a preference: the user's manual entry first. */
  for (guint i = 0; i < live->len; i++)
    {
      EspyDeviceRecord *r = g_ptr_array_index (live, i);

      if (r->info->ota_transport != ESPY_DEVICE_TRANSPORT_UNSET &&
          (r->source == ESPY_DEVICE_SOURCE_MANUAL || r->source == ESPY_DEVICE_SOURCE_CONFIG))
        {
          merged->ota_transport = r->info->ota_transport;
          break;
        }
    }

  /* Addresses: every source's, best source first. */
  for (guint i = 0; i < live->len; i++)
    {
      EspyDeviceRecord *r = g_ptr_array_index (live, i);

      if (r->info->addresses != NULL)
        for (guint j = 0; r->info->addresses[j] != NULL; j++)
          espy_device_info_add_address (merged, r->info->addresses[j]);
    }
  return merged;
}

/* 0: IPv4, 1: global IPv6, 2: link-local IPv6, -1: not an IP literal. */
static int
address_rank (const char *address)
{
  g_autofree char *plain = g_strdup (address);
  char *scope = strchr (plain, '%');
  g_autoptr(GInetAddress) inet = NULL;

  if (scope != NULL)
    *scope = '\0';
  inet = g_inet_address_new_from_string (plain);
  if (inet == NULL)
    return -1;
  if (g_inet_address_get_family (inet) == G_SOCKET_FAMILY_IPV4)
    return 0;
  return g_inet_address_get_is_link_local (inet) ? 2 : 1;
}

/* The best IP literal among RECORDS' addresses: IPv4, then global IPv6, then link-local. */
static const char *
best_ip (GPtrArray *records)
{
  const char *best = NULL;
  int best_rank = G_MAXINT;

  for (guint i = 0; i < records->len; i++)
    {
      EspyDeviceRecord *r = g_ptr_array_index (records, i);

      if (r->info->addresses == NULL)
        continue;
      for (guint j = 0; r->info->addresses[j] != NULL; j++)
        {
          int rank = address_rank (r->info->addresses[j]);

          if (rank >= 0 && rank < best_rank)
            {
              best = r->info->addresses[j];
              best_rank = rank;
            }
        }
    }
  return best;
}

static const char *
first_host (GPtrArray *records)
{
  for (guint i = 0; i < records->len; i++)
    {
      EspyDeviceRecord *r = g_ptr_array_index (records, i);

      if (r->info->host != NULL)
        return r->info->host;
    }
  return NULL;
}

static char *
compute_address (EspyDevice *self)
{
  static const EspyDeviceSource order[] = {
    ESPY_DEVICE_SOURCE_MANUAL, ESPY_DEVICE_SOURCE_API, ESPY_DEVICE_SOURCE_MDNS, ESPY_DEVICE_SOURCE_CONFIG,
  };

  for (guint s = 0; s < G_N_ELEMENTS (order); s++)
    {
      g_autoptr(GPtrArray) records = records_of (self, order[s]);
      const char *ip = best_ip (records);
      const char *host = first_host (records);
      /* What the user typed (manual) and an explicit use_address (config)
       * beat the addresses beside them; for mDNS and the API the resolved
       * addresses beat name.local. */
      gboolean host_first = order[s] == ESPY_DEVICE_SOURCE_MANUAL || order[s] == ESPY_DEVICE_SOURCE_CONFIG;

      if (host_first && host != NULL)
        return g_strdup (host);
      if (ip != NULL)
        return g_strdup (ip);
      if (host != NULL)
        return g_strdup (host);
    }

  /* An address-only manual entry is named after its address. */
  if (strchr (self->name, '.') != NULL || strchr (self->name, ':') != NULL)
    return g_strdup (self->name);
  return g_strdup_printf ("%s.local", self->name);
}

/* --- reachability --------------------------------------------------------- */

static const char *
service_name (EspyProbeService service)
{
  switch (service)
    {
    case ESPY_PROBE_SERVICE_API: return _("API");
    case ESPY_PROBE_SERVICE_OTA: return _("OTA");
    case ESPY_PROBE_SERVICE_WEB: return _("web server");
    default: return "";
    }
}

static char *
format_mdns_seen (gint64 age_us)
{
  gint64 s = MAX (age_us, 0) / G_USEC_PER_SEC;

  /* Coarser as it ages, so the text (and its notify) changes rarely. */
  if (s < 10)
    return g_strdup_printf (_("Seen via mDNS %u s ago"), (guint) s);
  if (s < 60)
    return g_strdup_printf (_("Seen via mDNS %u s ago"), (guint) (s / 10 * 10));
  if (s < 3600)
    return g_strdup_printf (_("Seen via mDNS %u min ago"), (guint) (s / 60));
  return g_strdup_printf (_("Seen via mDNS %u h ago"), (guint) (s / 3600));
}

static char *
format_not_seen_since (gint64 wall_us)
{
  g_autoptr(GDateTime) then = g_date_time_new_from_unix_local (wall_us / G_USEC_PER_SEC);
  g_autoptr(GDateTime) now = g_date_time_new_now_local ();
  g_autofree char *when = NULL;

  if (then == NULL)
    return g_strdup (_("Not seen on the network"));
  if (g_date_time_get_year (then) == g_date_time_get_year (now) &&
      g_date_time_get_day_of_year (then) == g_date_time_get_day_of_year (now))
    when = g_date_time_format (then, "%H:%M");
  else
    when = g_date_time_format (then, "%x %H:%M");
  return g_strdup_printf (_("Not seen since %s"), when);
}

static char *
compute_reachability (EspyDevice *self,
                      gboolean   *online)
{
  g_autoptr(GPtrArray) mdns = records_of (self, ESPY_DEVICE_SOURCE_MDNS);

  *online = TRUE;
  if (has_source (self, ESPY_DEVICE_SOURCE_API))
    return g_strdup (_("Connected via the native API"));
  if (mdns->len > 0)
    {
      EspyDeviceRecord *newest = g_ptr_array_index (mdns, 0);

      return format_mdns_seen (g_get_monotonic_time () - newest->seen_mono);
    }
  if (self->probe.ok)
    return g_strdup_printf (_("Answers on the %s port (%u ms)"),
                            service_name (self->probe.answered.service), self->probe.connect_ms);

  *online = FALSE;
  if (self->last_online_wall != 0)
    return format_not_seen_since (self->last_online_wall);
  if (self->probe.failed)
    return g_strdup (_("Not seen on the network"));
  return g_strdup (_("Not checked yet"));
}

/* --- update available ----------------------------------------------------- */

static char *
compute_update_reason (EspyDevice     *self,
                       EspyDeviceInfo *merged)
{
  g_autoptr(GPtrArray) config = records_of (self, ESPY_DEVICE_SOURCE_CONFIG);
  g_autoptr(GString) reason = g_string_new (NULL);
  const char *live_hash = NULL;
  const char *config_hash = NULL;

  /* Without a config there is nothing Espy could install. */
  if (config->len == 0)
    return NULL;

  if (espy_version_is_valid (self->esphome_version))
    {
      if (espy_version_is_valid (merged->version))
        {
          if (espy_version_compare (merged->version, self->esphome_version) < 0)
            g_string_append_printf (reason, _("Runs %s; the installed ESPHome is %s"),
                                    merged->version, self->esphome_version);
        }
      else if (espy_version_is_valid (merged->deployed_version) &&
               espy_version_compare (merged->deployed_version, self->esphome_version) < 0)
        g_string_append_printf (reason, _("Built with ESPHome %s; the installed ESPHome is %s"),
                                merged->deployed_version, self->esphome_version);
    }

  /* The device announces the hash of the configuration it runs; the config
   * reader may know the hash of the file as it is now. */
  for (guint i = 0; i < self->records->len && live_hash == NULL; i++)
    {
      EspyDeviceRecord *r = g_ptr_array_index (self->records, i);

      if ((r->source == ESPY_DEVICE_SOURCE_API || r->source == ESPY_DEVICE_SOURCE_MDNS) &&
          r->info->config_hash != NULL)
        live_hash = r->info->config_hash;
    }
  for (guint i = 0; i < config->len && config_hash == NULL; i++)
    config_hash = ((EspyDeviceRecord *) g_ptr_array_index (config, i))->info->config_hash;
  if (live_hash != NULL && config_hash != NULL && g_ascii_strcasecmp (live_hash, config_hash) != 0)
    {
      if (reason->len > 0)
        g_string_append_c (reason, '\n');
      g_string_append (reason, _("The configuration changed since it was installed (config hash)"));
    }

  if (reason->len == 0)
    return NULL;
  return g_string_free (g_steal_pointer (&reason), FALSE);
}

/* --- refresh -------------------------------------------------------------- */

static gboolean
set_string (char       **field,
            char        *value)   /* owned */
{
  if (g_strcmp0 (*field, value) == 0)
    {
      g_free (value);
      return FALSE;
    }
  g_free (*field);
  *field = value;
  return TRUE;
}

static char *
make_sort_key (const char *display_name,
               const char *name,
               const char *mac)
{
  g_autofree char *folded = g_utf8_casefold (display_name, -1);
  g_autofree char *key = g_utf8_collate_key (folded, -1);

  /* Ties (same display name) ordered by name and MAC, so the order is stable. */
  return g_strdup_printf ("%s%c%s%c%s", key, 1, name, 1, mac != NULL ? mac : "");
}

gboolean
espy_device_refresh (EspyDevice *self)
{
  g_autoptr(EspyDeviceInfo) old = self->merged;
  EspyDeviceInfo *merged = merge_records (self);
  gboolean changed = FALSE;
  gboolean online = FALSE;
  gboolean update_available;
  EspyDeviceSources sources = ESPY_DEVICE_SOURCES_NONE;
  const char *base_name;
  guint16 port;
  char *value;

  g_object_freeze_notify (G_OBJECT (self));
  self->merged = merged;

#define NOTIFY_IF(cond, prop) G_STMT_START { \
    if (cond) { g_object_notify_by_pspec (G_OBJECT (self), properties[prop]); changed = TRUE; } \
  } G_STMT_END

  NOTIFY_IF (g_strcmp0 (old->friendly_name, merged->friendly_name) != 0, PROP_FRIENDLY_NAME);
  NOTIFY_IF (g_strcmp0 (old->mac, merged->mac) != 0, PROP_MAC);
  NOTIFY_IF (g_strcmp0 (old->platform, merged->platform) != 0, PROP_PLATFORM);
  NOTIFY_IF (g_strcmp0 (old->board, merged->board) != 0, PROP_BOARD);
  NOTIFY_IF (g_strcmp0 (old->version, merged->version) != 0, PROP_VERSION);
  NOTIFY_IF (g_strcmp0 (old->network, merged->network) != 0, PROP_NETWORK);
  NOTIFY_IF (g_strcmp0 (old->config_path, merged->config_path) != 0, PROP_CONFIG_PATH);
  NOTIFY_IF (old->api_encryption != merged->api_encryption, PROP_API_ENCRYPTION);
  NOTIFY_IF (old->ota_transport != merged->ota_transport, PROP_OTA_TRANSPORT);
  /* Facts that are not properties still count as a change for ::device-changed. */
  if (!espy_device_info_equal (old, merged))
    changed = TRUE;

  base_name = merged->friendly_name != NULL ? merged->friendly_name : self->name;
  if (self->show_mac && merged->mac != NULL)
    {
      g_autofree char *pretty = espy_mac_format (merged->mac);

      value = g_strdup_printf ("%s (%s)", base_name, pretty);
    }
  else
    value = g_strdup (base_name);
  NOTIFY_IF (set_string (&self->display_name, value), PROP_DISPLAY_NAME);
  g_free (self->sort_key);
  self->sort_key = make_sort_key (self->display_name, self->name, self->identity_mac);

  NOTIFY_IF (set_string (&self->address, compute_address (self)), PROP_ADDRESS);

  port = merged->api_port != 0 ? merged->api_port : DEFAULT_API_PORT;
  NOTIFY_IF (port != self->api_port, PROP_API_PORT);
  self->api_port = port;
  port = merged->ota_port != 0 ? merged->ota_port : espy_ota_default_port (merged->platform);
  NOTIFY_IF (port != self->ota_port, PROP_OTA_PORT);
  self->ota_port = port;
  NOTIFY_IF (merged->web_port != self->web_port, PROP_WEB_PORT);
  self->web_port = merged->web_port;

  value = compute_reachability (self, &online);
  NOTIFY_IF (set_string (&self->reachability, value), PROP_REACHABILITY);
  NOTIFY_IF (online != self->online, PROP_ONLINE);
  self->online = online;
  if (online)
    {
      /* Not a visible change by itself: only the "Not seen since" text uses it. */
      self->last_online_wall = g_get_real_time ();
    }

  for (guint i = 0; i < self->records->len; i++)
    sources |= 1 << ((EspyDeviceRecord *) g_ptr_array_index (self->records, i))->source;
  if (self->probe.ok && !espy_device_is_seen_passively (self))
    sources |= ESPY_DEVICE_SOURCES_PROBE;
  NOTIFY_IF (sources != self->sources, PROP_SOURCES);
  self->sources = sources;

  value = compute_update_reason (self, merged);
  update_available = value != NULL;
  NOTIFY_IF (set_string (&self->update_reason, value), PROP_UPDATE_REASON);
  NOTIFY_IF (update_available != self->update_available, PROP_UPDATE_AVAILABLE);
  self->update_available = update_available;

#undef NOTIFY_IF

  g_object_thaw_notify (G_OBJECT (self));
  return changed;
}

/* --- public getters ------------------------------------------------------- */

const char *
espy_device_get_name (EspyDevice *self)
{
  g_return_val_if_fail (ESPY_IS_DEVICE (self), NULL);
  return self->name;
}

const char *
espy_device_get_friendly_name (EspyDevice *self)
{
  g_return_val_if_fail (ESPY_IS_DEVICE (self), NULL);
  return self->merged->friendly_name;
}

const char *
espy_device_get_display_name (EspyDevice *self)
{
  g_return_val_if_fail (ESPY_IS_DEVICE (self), NULL);
  return self->display_name;
}

const char *
espy_device_get_mac (EspyDevice *self)
{
  g_return_val_if_fail (ESPY_IS_DEVICE (self), NULL);
  return self->merged->mac;
}

const char *
espy_device_get_address (EspyDevice *self)
{
  g_return_val_if_fail (ESPY_IS_DEVICE (self), NULL);
  return self->address;
}

const char *
espy_device_get_platform (EspyDevice *self)
{
  g_return_val_if_fail (ESPY_IS_DEVICE (self), NULL);
  return self->merged->platform;
}

const char *
espy_device_get_board (EspyDevice *self)
{
  g_return_val_if_fail (ESPY_IS_DEVICE (self), NULL);
  return self->merged->board;
}

const char *
espy_device_get_version (EspyDevice *self)
{
  g_return_val_if_fail (ESPY_IS_DEVICE (self), NULL);
  return self->merged->version;
}

const char *
espy_device_get_network (EspyDevice *self)
{
  g_return_val_if_fail (ESPY_IS_DEVICE (self), NULL);
  return self->merged->network;
}

guint16
espy_device_get_api_port (EspyDevice *self)
{
  g_return_val_if_fail (ESPY_IS_DEVICE (self), 0);
  return self->api_port;
}

guint16
espy_device_get_ota_port (EspyDevice *self)
{
  g_return_val_if_fail (ESPY_IS_DEVICE (self), 0);
  return self->ota_port;
}

guint16
espy_device_get_web_port (EspyDevice *self)
{
  g_return_val_if_fail (ESPY_IS_DEVICE (self), 0);
  return self->web_port;
}

EspyTristate
espy_device_get_api_encryption (EspyDevice *self)
{
  g_return_val_if_fail (ESPY_IS_DEVICE (self), ESPY_TRISTATE_UNKNOWN);
  return self->merged->api_encryption;
}

EspyDeviceTransport
espy_device_get_ota_transport (EspyDevice *self)
{
  g_return_val_if_fail (ESPY_IS_DEVICE (self), ESPY_DEVICE_TRANSPORT_UNSET);
  return self->merged->ota_transport;
}

const char *
espy_device_get_config_path (EspyDevice *self)
{
  g_return_val_if_fail (ESPY_IS_DEVICE (self), NULL);
  return self->merged->config_path;
}

gboolean
espy_device_get_online (EspyDevice *self)
{
  g_return_val_if_fail (ESPY_IS_DEVICE (self), FALSE);
  return self->online;
}

const char *
espy_device_get_reachability (EspyDevice *self)
{
  g_return_val_if_fail (ESPY_IS_DEVICE (self), NULL);
  return self->reachability;
}

gint64
espy_device_get_last_online (EspyDevice *self)
{
  g_return_val_if_fail (ESPY_IS_DEVICE (self), 0);
  return self->last_online_wall;
}

EspyDeviceSources
espy_device_get_sources (EspyDevice *self)
{
  g_return_val_if_fail (ESPY_IS_DEVICE (self), ESPY_DEVICE_SOURCES_NONE);
  return self->sources;
}

gboolean
espy_device_get_update_available (EspyDevice *self)
{
  g_return_val_if_fail (ESPY_IS_DEVICE (self), FALSE);
  return self->update_available;
}

const char *
espy_device_get_update_reason (EspyDevice *self)
{
  g_return_val_if_fail (ESPY_IS_DEVICE (self), NULL);
  return self->update_reason;
}

EspyDeviceInfo *
espy_device_dup_info (EspyDevice *self)
{
  EspyDeviceInfo *info;

  g_return_val_if_fail (ESPY_IS_DEVICE (self), NULL);

  info = espy_device_info_dup (self->merged);
  espy_device_info_set_host (info, self->address);
  info->api_port = self->api_port;
  info->ota_port = self->ota_port;
  info->web_port = self->web_port;
  return info;
}

EspyDeviceInfo *
espy_device_dup_source_info (EspyDevice       *self,
                             EspyDeviceSource  source)
{
  g_autoptr(GPtrArray) records = NULL;

  g_return_val_if_fail (ESPY_IS_DEVICE (self), NULL);

  records = records_of (self, source);
  if (records->len == 0)
    return NULL;
  return espy_device_info_ref (((EspyDeviceRecord *) g_ptr_array_index (records, 0))->info);
}

gboolean
espy_device_get_last_seen (EspyDevice       *self,
                           EspyDeviceSource  source,
                           gint64           *monotonic_us,
                           gint64           *wall_us)
{
  g_autoptr(GPtrArray) records = NULL;
  EspyDeviceRecord *newest;

  g_return_val_if_fail (ESPY_IS_DEVICE (self), FALSE);

  records = records_of (self, source);
  if (records->len == 0)
    return FALSE;
  newest = g_ptr_array_index (records, 0);
  if (monotonic_us != NULL)
    *monotonic_us = newest->seen_mono;
  if (wall_us != NULL)
    *wall_us = newest->seen_wall;
  return TRUE;
}

gboolean
espy_device_get_probe_result (EspyDevice      *self,
                              EspyProbeTarget *answered,
                              guint           *connect_ms)
{
  g_return_val_if_fail (ESPY_IS_DEVICE (self), FALSE);

  if (!self->probe.ok)
    return FALSE;
  if (answered != NULL)
    *answered = self->probe.answered;
  if (connect_ms != NULL)
    *connect_ms = self->probe.connect_ms;
  return TRUE;
}
