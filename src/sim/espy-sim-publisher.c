/* espy-sim-publisher.c
 *
 * Copyright 2026 The Espy authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "espy-sim-publisher"

#include "espy-sim-publisher.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#include <avahi-client/client.h>
#include <avahi-client/publish.h>
#include <avahi-common/error.h>
#include <avahi-glib/glib-watch.h>

#define RECONNECT_MS 2000

struct _EspySimPublisher {
  GObject                parent_instance;

  char                  *name;
  char                  *friendly_name;
  char                  *version;
  char                  *mac;
  char                  *platform;
  char                  *board;
  char                  *network;
  EspySimGeneration      generation;
  guint16                api_port;
  guint16                web_port;
  gboolean               key_set;
  gboolean               encryption_supported;
  char                  *project_name;
  char                  *project_version;
  char                  *package_import_url;
  char                  *config_hash;
  gboolean               own_host;

  gboolean               wanted;     /* between publish() and withdraw() */
  gboolean               attached;   /* in the shared client's list */
  AvahiEntryGroup       *group;
  char                  *host_name;
  EspySimPublisherState  state;
  char                  *message;
};

G_DEFINE_ENUM_TYPE (EspySimPublisherState, espy_sim_publisher_state,
                    G_DEFINE_ENUM_VALUE (ESPY_SIM_PUBLISHER_STATE_IDLE, "idle"),
                    G_DEFINE_ENUM_VALUE (ESPY_SIM_PUBLISHER_STATE_WAITING, "waiting"),
                    G_DEFINE_ENUM_VALUE (ESPY_SIM_PUBLISHER_STATE_REGISTERING, "registering"),
                    G_DEFINE_ENUM_VALUE (ESPY_SIM_PUBLISHER_STATE_ESTABLISHED, "established"),
                    G_DEFINE_ENUM_VALUE (ESPY_SIM_PUBLISHER_STATE_COLLISION, "collision"),
                    G_DEFINE_ENUM_VALUE (ESPY_SIM_PUBLISHER_STATE_FAILED, "failed"))

G_DEFINE_FINAL_TYPE (EspySimPublisher, espy_sim_publisher, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_STATE,
  PROP_MESSAGE,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* All publishers of the process share one Avahi client: one D-Bus
 * connection instead of hundreds (the bus limits connections per user). */
typedef struct {
  GMainContext  *context;
  AvahiGLibPoll *poll;
  AvahiClient   *client;
  GList         *publishers;   /* EspySimPublisher *, unowned */
  guint          reconnect_id;
} Shared;

static Shared *shared;

static void publisher_client_state (EspySimPublisher *self, AvahiClient *client, AvahiClientState state);
static gboolean shared_connect (GError **error);

static void
set_state (EspySimPublisher      *self,
           EspySimPublisherState  state,
           const char            *message)
{
  g_object_freeze_notify (G_OBJECT (self));
  if (g_strcmp0 (self->message, message) != 0)
    {
      g_free (self->message);
      self->message = g_strdup (message);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MESSAGE]);
    }
  if (self->state != state)
    {
      self->state = state;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STATE]);
    }
  g_object_thaw_notify (G_OBJECT (self));
}

static gboolean
shared_reconnect_cb (gpointer user_data)
{
  shared->reconnect_id = 0;
  g_clear_pointer (&shared->client, avahi_client_free);
  if (!shared_connect (NULL) && shared->reconnect_id == 0)
    shared->reconnect_id = g_timeout_add (RECONNECT_MS, shared_reconnect_cb, NULL);
  return G_SOURCE_REMOVE;
}

static void
shared_client_callback (AvahiClient      *client,
                        AvahiClientState  state,
                        void             *user_data)
{
  g_autoptr(GPtrArray) publishers = g_ptr_array_new_with_free_func (g_object_unref);

  if (shared->client == NULL)
    shared->client = client;   /* first call: from inside avahi_client_new() */

  for (GList *l = shared->publishers; l != NULL; l = l->next)
    g_ptr_array_add (publishers, g_object_ref (l->data));
  for (guint i = 0; i < publishers->len; i++)
    publisher_client_state (g_ptr_array_index (publishers, i), client, state);

  /* A failed client stays failed (the daemon went away): a new NO_FAIL
   * client waits for it to return. Not from inside this callback. */
  if (state == AVAHI_CLIENT_FAILURE && shared->reconnect_id == 0)
    shared->reconnect_id = g_idle_add (shared_reconnect_cb, NULL);
}

static gboolean
shared_connect (GError **error)
{
  AvahiClient *client;
  int err = 0;

  client = avahi_client_new (avahi_glib_poll_get (shared->poll), AVAHI_CLIENT_NO_FAIL,
                             shared_client_callback, NULL, &err);
  if (client == NULL)
    {
      shared->client = NULL;
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_CONNECTED,
                   _("Cannot reach avahi-daemon: %s"), avahi_strerror (err));
      return FALSE;
    }
  shared->client = client;
  return TRUE;
}

static gboolean
shared_attach (EspySimPublisher  *self,
               GError           **error)
{
  if (self->attached)
    return TRUE;
  if (shared == NULL)
    {
      shared = g_new0 (Shared, 1);
      shared->context = g_main_context_ref_thread_default ();
      shared->poll = avahi_glib_poll_new (shared->context, G_PRIORITY_DEFAULT);
    }
  shared->publishers = g_list_prepend (shared->publishers, self);
  self->attached = TRUE;

  if (shared->client != NULL)
    {
      publisher_client_state (self, shared->client, avahi_client_get_state (shared->client));
      return TRUE;
    }
  if (shared->reconnect_id != 0)
    return TRUE;   /* the retry timer will bring everyone up */
  return shared_connect (error);
}

static void
shared_detach (EspySimPublisher *self)
{
  if (!self->attached)
    return;
  self->attached = FALSE;
  shared->publishers = g_list_remove (shared->publishers, self);
  if (shared->publishers != NULL)
    return;
  g_clear_handle_id (&shared->reconnect_id, g_source_remove);
  g_clear_pointer (&shared->client, avahi_client_free);
  g_clear_pointer (&shared->poll, avahi_glib_poll_free);
  g_clear_pointer (&shared->context, g_main_context_unref);
  g_clear_pointer (&shared, g_free);
}

static AvahiStringList *
build_txt (EspySimPublisher *self)
{
  g_auto(GStrv) strings = espy_sim_publisher_dup_txt (self);

  return avahi_string_list_new_from_array ((const char **) strings, -1);
}

static void
report_collision (EspySimPublisher *self)
{
  g_autofree char *message = g_strdup_printf (_("Another device already uses the name “%s”"), self->name);

  g_clear_pointer (&self->group, avahi_entry_group_free);
  set_state (self, ESPY_SIM_PUBLISHER_STATE_COLLISION, message);
}

static void
report_failure (EspySimPublisher *self,
                int               error)
{
  g_autofree char *message = g_strdup_printf (_("Avahi refused to publish “%s”: %s"),
                                              self->name, avahi_strerror (error));

  g_clear_pointer (&self->group, avahi_entry_group_free);
  set_state (self, ESPY_SIM_PUBLISHER_STATE_FAILED, message);
}

static void
group_callback (AvahiEntryGroup      *group,
                AvahiEntryGroupState  state,
                void                 *user_data)
{
  EspySimPublisher *self = user_data;

  if (group != self->group && self->group != NULL)
    return;

  switch (state)
    {
    case AVAHI_ENTRY_GROUP_ESTABLISHED:
      set_state (self, ESPY_SIM_PUBLISHER_STATE_ESTABLISHED, NULL);
      break;

    case AVAHI_ENTRY_GROUP_COLLISION:
      /* A device keeps its name; the test wants to know. */
      report_collision (self);
      break;

    case AVAHI_ENTRY_GROUP_FAILURE:
      report_failure (self, avahi_client_errno (avahi_entry_group_get_client (group)));
      break;

    case AVAHI_ENTRY_GROUP_UNCOMMITED:
    case AVAHI_ENTRY_GROUP_REGISTERING:
    default:
      break;
    }
}

static void
create_group (EspySimPublisher *self,
              AvahiClient      *client)
{
  AvahiStringList *txt;
  g_autofree char *own_host = g_strdup_printf ("%s.local", self->name);
  const char *host = NULL;
  AvahiAddress address;
  int ret;

  self->group = avahi_entry_group_new (client, group_callback, self);
  if (self->group == NULL)
    {
      report_failure (self, avahi_client_errno (client));
      return;
    }
  set_state (self, ESPY_SIM_PUBLISHER_STATE_REGISTERING, NULL);

  g_clear_pointer (&self->host_name, g_free);
  if (self->own_host)
    {
      /* Like a device: its own A record. No reverse PTR, which every
       * device on 127.0.0.1 would claim. */
      avahi_address_parse ("127.0.0.1", AVAHI_PROTO_INET, &address);
      ret = avahi_entry_group_add_address (self->group, AVAHI_IF_UNSPEC, AVAHI_PROTO_UNSPEC,
                                           AVAHI_PUBLISH_NO_REVERSE, own_host, &address);
      if (ret == AVAHI_ERR_COLLISION)
        {
          report_collision (self);
          return;
        }
      if (ret < 0)
        g_message ("%s: avahi refused the address record (%s); using the daemon's host name",
                   self->name, avahi_strerror (ret));
      else
        host = own_host;
    }
  self->host_name = g_strdup (host != NULL ? host : avahi_client_get_host_name_fqdn (client));

  txt = build_txt (self);
  ret = avahi_entry_group_add_service_strlst (self->group, AVAHI_IF_UNSPEC, AVAHI_PROTO_UNSPEC, 0,
                                              self->name, "_esphomelib._tcp", NULL, host,
                                              self->api_port, txt);
  avahi_string_list_free (txt);
  if (ret >= 0 && self->web_port != 0)
    ret = avahi_entry_group_add_service (self->group, AVAHI_IF_UNSPEC, AVAHI_PROTO_UNSPEC, 0,
                                         self->name, "_http._tcp", NULL, host, self->web_port, NULL);
  if (ret >= 0)
    ret = avahi_entry_group_commit (self->group);

  if (ret == AVAHI_ERR_COLLISION)
    report_collision (self);
  else if (ret < 0)
    report_failure (self, ret);
}

static void
publisher_client_state (EspySimPublisher *self,
                        AvahiClient      *client,
                        AvahiClientState  state)
{
  if (!self->wanted)
    return;

  switch (state)
    {
    case AVAHI_CLIENT_S_RUNNING:
      if (self->group == NULL && self->state != ESPY_SIM_PUBLISHER_STATE_COLLISION
          && self->state != ESPY_SIM_PUBLISHER_STATE_FAILED)
        create_group (self, client);
      break;

    case AVAHI_CLIENT_S_REGISTERING:
    case AVAHI_CLIENT_S_COLLISION:
      /* The daemon renames its own host: records go again on S_RUNNING. */
      g_clear_pointer (&self->group, avahi_entry_group_free);
      set_state (self, ESPY_SIM_PUBLISHER_STATE_REGISTERING, NULL);
      break;

    case AVAHI_CLIENT_FAILURE:
    case AVAHI_CLIENT_CONNECTING:
      /* The daemon went away (or is not there yet): the group is gone with it. */
      g_clear_pointer (&self->group, avahi_entry_group_free);
      set_state (self, ESPY_SIM_PUBLISHER_STATE_WAITING, NULL);
      break;

    default:
      break;
    }
}

gboolean
espy_sim_publisher_publish (EspySimPublisher  *self,
                            GError           **error)
{
  g_return_val_if_fail (ESPY_IS_SIM_PUBLISHER (self), FALSE);

  if (self->wanted)
    return TRUE;
  self->wanted = TRUE;
  set_state (self, ESPY_SIM_PUBLISHER_STATE_WAITING, NULL);
  if (!shared_attach (self, error))
    {
      self->wanted = FALSE;
      shared_detach (self);
      set_state (self, ESPY_SIM_PUBLISHER_STATE_IDLE, NULL);
      return FALSE;
    }
  return TRUE;
}

void
espy_sim_publisher_update (EspySimPublisher *self)
{
  AvahiStringList *txt;
  int ret;

  g_return_if_fail (ESPY_IS_SIM_PUBLISHER (self));

  /* Not announced yet: the next publish uses the new values anyway. */
  if (self->group == NULL || avahi_entry_group_is_empty (self->group))
    return;
  txt = build_txt (self);
  ret = avahi_entry_group_update_service_txt_strlst (self->group, AVAHI_IF_UNSPEC, AVAHI_PROTO_UNSPEC, 0,
                                                     self->name, "_esphomelib._tcp", NULL, txt);
  avahi_string_list_free (txt);
  if (ret < 0)
    report_failure (self, ret);
}

void
espy_sim_publisher_withdraw (EspySimPublisher *self)
{
  g_return_if_fail (ESPY_IS_SIM_PUBLISHER (self));

  self->wanted = FALSE;
  /* Freeing the group makes the daemon send goodbye packets. */
  g_clear_pointer (&self->group, avahi_entry_group_free);
  shared_detach (self);
  set_state (self, ESPY_SIM_PUBLISHER_STATE_IDLE, NULL);
}

GStrv
espy_sim_publisher_dup_txt (EspySimPublisher *self)
{
  GPtrArray *builder = g_ptr_array_new ();
  g_autofree char *config_hash = NULL;

  g_return_val_if_fail (ESPY_IS_SIM_PUBLISHER (self), NULL);

  /* The keys in the order esphome's mdns component adds them. */
  if (self->friendly_name != NULL)
    g_ptr_array_add (builder, g_strdup_printf ("friendly_name=%s", self->friendly_name));
  g_ptr_array_add (builder, g_strdup_printf ("version=%s", self->version));
  g_ptr_array_add (builder, g_strdup_printf ("mac=%s", self->mac));
  g_ptr_array_add (builder, g_strdup_printf ("platform=%s", self->platform));
  g_ptr_array_add (builder, g_strdup_printf ("board=%s", self->board));
  g_ptr_array_add (builder, g_strdup_printf ("network=%s", self->network));
  if (self->key_set)
    g_ptr_array_add (builder, g_strdup ("api_encryption=" ESPY_SIM_NOISE_NAME));
  else if (self->encryption_supported && self->generation >= ESPY_SIM_GENERATION_2025_10)
    g_ptr_array_add (builder, g_strdup ("api_encryption_supported=" ESPY_SIM_NOISE_NAME));
  if (self->project_name != NULL)
    {
      g_ptr_array_add (builder, g_strdup_printf ("project_name=%s", self->project_name));
      g_ptr_array_add (builder, g_strdup_printf ("project_version=%s",
                                                     self->project_version != NULL ? self->project_version : ""));
    }
  if (self->package_import_url != NULL)
    g_ptr_array_add (builder, g_strdup_printf ("package_import_url=%s", self->package_import_url));
  if (self->generation >= ESPY_SIM_GENERATION_2026_1)
    {
      if (self->config_hash == NULL)
        {
          g_autofree char *seed = g_strconcat (self->name, "/", self->version, NULL);
          config_hash = g_strdup_printf ("%08x", g_str_hash (seed));
        }
      g_ptr_array_add (builder, g_strdup_printf ("config_hash=%s",
                                                     self->config_hash != NULL ? self->config_hash : config_hash));
    }
  g_ptr_array_add (builder, NULL);
  return (GStrv) g_ptr_array_free (builder, FALSE);
}

/* Setters and getters */

#define SET_STRING(field, value) \
  G_STMT_START { g_return_if_fail (ESPY_IS_SIM_PUBLISHER (self)); \
                 g_free (self->field); self->field = g_strdup (value); } G_STMT_END

void
espy_sim_publisher_set_friendly_name (EspySimPublisher *self,
                                      const char       *friendly_name)
{
  SET_STRING (friendly_name, friendly_name);
}

void
espy_sim_publisher_set_version (EspySimPublisher *self,
                                const char       *version)
{
  SET_STRING (version, version != NULL ? version : "2025.10.1");
}

void
espy_sim_publisher_set_mac (EspySimPublisher *self,
                            const char       *mac)
{
  GString *hex;

  g_return_if_fail (ESPY_IS_SIM_PUBLISHER (self));
  g_return_if_fail (mac != NULL);

  /* Devices write 12 lowercase hex digits whatever the input spelling. */
  hex = g_string_new (NULL);
  for (const char *p = mac; *p != '\0'; p++)
    if (g_ascii_isxdigit (*p))
      g_string_append_c (hex, g_ascii_tolower (*p));
  g_free (self->mac);
  self->mac = g_string_free (hex, FALSE);
}

void
espy_sim_publisher_set_platform (EspySimPublisher *self,
                                 const char       *platform)
{
  SET_STRING (platform, platform != NULL ? platform : "ESP32");
}

void
espy_sim_publisher_set_board (EspySimPublisher *self,
                              const char       *board)
{
  SET_STRING (board, board != NULL ? board : "esp32dev");
}

void
espy_sim_publisher_set_network (EspySimPublisher *self,
                                const char       *network)
{
  SET_STRING (network, network != NULL ? network : "wifi");
}

void
espy_sim_publisher_set_project (EspySimPublisher *self,
                                const char       *project_name,
                                const char       *project_version)
{
  SET_STRING (project_name, project_name);
  g_free (self->project_version);
  self->project_version = g_strdup (project_version);
}

void
espy_sim_publisher_set_package_import_url (EspySimPublisher *self,
                                           const char       *url)
{
  SET_STRING (package_import_url, url);
}

void
espy_sim_publisher_set_config_hash (EspySimPublisher *self,
                                    const char       *config_hash)
{
  SET_STRING (config_hash, config_hash);
}

void
espy_sim_publisher_set_generation (EspySimPublisher  *self,
                                   EspySimGeneration  generation)
{
  g_return_if_fail (ESPY_IS_SIM_PUBLISHER (self));
  self->generation = generation;
}

void
espy_sim_publisher_set_api_port (EspySimPublisher *self,
                                 guint16           port)
{
  g_return_if_fail (ESPY_IS_SIM_PUBLISHER (self));
  self->api_port = port;
}

void
espy_sim_publisher_set_web_port (EspySimPublisher *self,
                                 guint16           port)
{
  g_return_if_fail (ESPY_IS_SIM_PUBLISHER (self));
  self->web_port = port;
}

void
espy_sim_publisher_set_api_encryption (EspySimPublisher *self,
                                       gboolean          key_set,
                                       gboolean          supported)
{
  g_return_if_fail (ESPY_IS_SIM_PUBLISHER (self));
  self->key_set = key_set;
  self->encryption_supported = supported;
}

void
espy_sim_publisher_set_own_host (EspySimPublisher *self,
                                 gboolean          own_host)
{
  g_return_if_fail (ESPY_IS_SIM_PUBLISHER (self));
  self->own_host = own_host;
}

EspySimPublisherState
espy_sim_publisher_get_state (EspySimPublisher *self)
{
  g_return_val_if_fail (ESPY_IS_SIM_PUBLISHER (self), ESPY_SIM_PUBLISHER_STATE_IDLE);
  return self->state;
}

const char *
espy_sim_publisher_get_message (EspySimPublisher *self)
{
  g_return_val_if_fail (ESPY_IS_SIM_PUBLISHER (self), NULL);
  return self->message;
}

const char *
espy_sim_publisher_get_name (EspySimPublisher *self)
{
  g_return_val_if_fail (ESPY_IS_SIM_PUBLISHER (self), NULL);
  return self->name;
}

const char *
espy_sim_publisher_get_host_name (EspySimPublisher *self)
{
  g_return_val_if_fail (ESPY_IS_SIM_PUBLISHER (self), NULL);
  return self->host_name;
}

/* GObject */

EspySimPublisher *
espy_sim_publisher_new (const char *name)
{
  EspySimPublisher *self;
  guint hash;

  g_return_val_if_fail (name != NULL && *name != '\0', NULL);

  self = g_object_new (ESPY_TYPE_SIM_PUBLISHER, NULL);
  self->name = g_strdup (name);
  /* A stable made-up MAC in Espressif's range. */
  hash = g_str_hash (name);
  self->mac = g_strdup_printf ("c8c9a3%06x", hash & 0xffffff);
  return self;
}

static void
espy_sim_publisher_dispose (GObject *object)
{
  espy_sim_publisher_withdraw (ESPY_SIM_PUBLISHER (object));
  G_OBJECT_CLASS (espy_sim_publisher_parent_class)->dispose (object);
}

static void
espy_sim_publisher_finalize (GObject *object)
{
  EspySimPublisher *self = ESPY_SIM_PUBLISHER (object);

  g_free (self->name);
  g_free (self->friendly_name);
  g_free (self->version);
  g_free (self->mac);
  g_free (self->platform);
  g_free (self->board);
  g_free (self->network);
  g_free (self->project_name);
  g_free (self->project_version);
  g_free (self->package_import_url);
  g_free (self->config_hash);
  g_free (self->host_name);
  g_free (self->message);
  G_OBJECT_CLASS (espy_sim_publisher_parent_class)->finalize (object);
}

static void
espy_sim_publisher_get_property (GObject    *object,
                                 guint       prop_id,
                                 GValue     *value,
                                 GParamSpec *pspec)
{
  EspySimPublisher *self = ESPY_SIM_PUBLISHER (object);

  switch (prop_id)
    {
    case PROP_STATE:
      g_value_set_enum (value, self->state);
      break;
    case PROP_MESSAGE:
      g_value_set_string (value, self->message);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
espy_sim_publisher_class_init (EspySimPublisherClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = espy_sim_publisher_dispose;
  object_class->finalize = espy_sim_publisher_finalize;
  object_class->get_property = espy_sim_publisher_get_property;

  properties[PROP_STATE] =
    g_param_spec_enum ("state", NULL, NULL, ESPY_TYPE_SIM_PUBLISHER_STATE, ESPY_SIM_PUBLISHER_STATE_IDLE,
                       G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_MESSAGE] =
    g_param_spec_string ("message", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
espy_sim_publisher_init (EspySimPublisher *self)
{
  self->version = g_strdup ("2025.10.1");
  self->platform = g_strdup ("ESP32");
  self->board = g_strdup ("esp32dev");
  self->network = g_strdup ("wifi");
  self->generation = ESPY_SIM_GENERATION_2025_10;
  self->api_port = 6053;
  self->encryption_supported = TRUE;
  self->own_host = TRUE;
}
