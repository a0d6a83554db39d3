/* espy-discovery.c
 *
 * Copyright 2026 The Espy authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "espy-discovery"

#include "espy-discovery.h"

#include <glib/gi18n-lib.h>
#include <net/if.h>
#include <string.h>

#include <avahi-client/client.h>
#include <avahi-client/lookup.h>
#include <avahi-common/error.h>
#include <avahi-glib/glib-watch.h>

/* A resolver that failed (the device answered only briefly) tries again. */
#define RESOLVE_RETRY_MS   10000
/* When even the bus is missing, avahi_client_new() fails: try again later. */
#define RECONNECT_MS       5000

typedef struct _Device Device;

/* One browsed service on one interface and protocol. */
typedef struct {
  EspyDiscovery        *self;     /* unowned */
  Device               *device;   /* NULL for `_http._tcp` */
  AvahiIfIndex          interface;
  AvahiProtocol         protocol;
  char                 *name;
  char                 *type;
  char                 *domain;
  AvahiServiceResolver *resolver;
  guint                 retry_id;

  gboolean              resolved;
  guint64               resolved_seq;  /* larger = resolved later */
  char                 *host_name;
  char                 *address;
  guint16               port;
  GHashTable           *txt;
} Service;

/* Every copy of one `_esphomelib._tcp` instance name. */
struct _Device {
  char           *name;
  GPtrArray      *services;  /* Service *, owned */
  EspyMdnsRecord *record;    /* as last announced, NULL before */
};

/* What the worker tells the owner's context, in order. */
typedef enum {
  EVENT_ADDED,
  EVENT_UPDATED,
  EVENT_REMOVED,
  EVENT_STATE,
} EventKind;

typedef struct {
  EventKind           kind;
  guint               generation;
  EspyMdnsRecord     *record;
  char               *name;
  EspyDiscoveryState  state;
} Event;

/* avahi-client makes a blocking D-Bus round trip for every browser and
 * resolver it creates (tens of ms while the daemon is busy with a burst of
 * announcements), so the whole Avahi side runs on a worker thread with its
 * own main context. Fields below "worker" are touched only there; the rest
 * only on the owner's context, except the event queue. */
struct _EspyDiscovery {
  GObject              parent_instance;

  /* owner */
  EspyDiscoveryState   state;
  char                *message;
  gboolean             started;
  GMainContext        *owner_context;
  GHashTable          *records;        /* name -> EspyMdnsRecord, as announced */
  GThread             *thread;
  guint                generation;     /* events of older workers are dropped */

  /* shared */
  GMutex               lock;
  GQueue               events;         /* Event *, under lock */
  gboolean             drain_pending;  /* under lock */
  gint                 quit;           /* atomic: the worker should stop */
  guint                worker_generation;

  /* worker */
  GMainContext        *context;
  AvahiGLibPoll       *poll;
  AvahiClient         *client;
  AvahiServiceBrowser *esphome_browser;
  AvahiServiceBrowser *http_browser;
  guint                reconnect_id;

  GHashTable          *devices;        /* name -> Device */
  GPtrArray           *http_services;  /* Service * */
  guint64              resolve_seq;
  GPtrArray           *host_lookups;   /* GTask * of resolve_host_async */
};

G_DEFINE_ENUM_TYPE (EspyDiscoveryState, espy_discovery_state,
                    G_DEFINE_ENUM_VALUE (ESPY_DISCOVERY_STATE_STARTING, "starting"),
                    G_DEFINE_ENUM_VALUE (ESPY_DISCOVERY_STATE_RUNNING, "running"),
                    G_DEFINE_ENUM_VALUE (ESPY_DISCOVERY_STATE_UNAVAILABLE, "unavailable"))

G_DEFINE_FINAL_TYPE (EspyDiscovery, espy_discovery, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_STATE,
  PROP_MESSAGE,
  N_PROPS
};

enum {
  RECORD_ADDED,
  RECORD_UPDATED,
  RECORD_REMOVED,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

static void
event_free (Event *event)
{
  g_clear_pointer (&event->record, espy_mdns_record_unref);
  g_free (event->name);
  g_free (event);
}

static void
set_state (EspyDiscovery      *self,
           EspyDiscoveryState  state)
{
  const char *message = NULL;

  if (state == ESPY_DISCOVERY_STATE_UNAVAILABLE)
    message = _("mDNS is not available: devices can still be added by address");

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

/* Owner side: applies what the worker reported, in order. */
static gboolean
drain_events (gpointer user_data)
{
  EspyDiscovery *self = user_data;
  GQueue events = G_QUEUE_INIT;
  Event *event;

  g_mutex_lock (&self->lock);
  events = self->events;
  g_queue_init (&self->events);
  self->drain_pending = FALSE;
  g_mutex_unlock (&self->lock);

  while ((event = g_queue_pop_head (&events)) != NULL)
    {
      /* A handler may stop discovery: later events are then stale too. */
      if (event->generation == self->generation && self->started)
        {
          switch (event->kind)
            {
            case EVENT_ADDED:
            case EVENT_UPDATED:
              g_hash_table_replace (self->records, g_strdup (event->name), espy_mdns_record_ref (event->record));
              g_signal_emit (self, signals[event->kind == EVENT_ADDED ? RECORD_ADDED : RECORD_UPDATED], 0,
                             event->record);
              break;
            case EVENT_REMOVED:
              if (g_hash_table_remove (self->records, event->name))
                g_signal_emit (self, signals[RECORD_REMOVED], 0, event->name);
              break;
            case EVENT_STATE:
              set_state (self, event->state);
              break;
            default:
              break;
            }
        }
      event_free (event);
    }
  return G_SOURCE_REMOVE;
}

/* Worker side. */
static void
post_event (EspyDiscovery      *self,
            EventKind           kind,
            const char         *name,
            EspyMdnsRecord     *record,
            EspyDiscoveryState  state)
{
  Event *event = g_new0 (Event, 1);
  GSource *source;

  event->kind = kind;
  event->generation = self->worker_generation;
  event->name = g_strdup (name);
  event->record = record != NULL ? espy_mdns_record_ref (record) : NULL;
  event->state = state;

  g_mutex_lock (&self->lock);
  g_queue_push_tail (&self->events, event);
  if (!self->drain_pending)
    {
      self->drain_pending = TRUE;
      source = g_idle_source_new ();
      g_source_set_priority (source, G_PRIORITY_DEFAULT);
      g_source_set_callback (source, drain_events, g_object_ref (self), g_object_unref);
      g_source_set_static_name (source, "[espy] discovery events");
      g_source_attach (source, self->owner_context);
      g_source_unref (source);
    }
  g_mutex_unlock (&self->lock);
}

static void
worker_set_state (EspyDiscovery      *self,
                  EspyDiscoveryState  state)
{
  post_event (self, EVENT_STATE, NULL, NULL, state);
}

static void client_callback (AvahiClient *client, AvahiClientState state, void *user_data);
static void service_start_resolver (Service *service);
static void fail_host_lookups (EspyDiscovery *self);

/* A timeout on the context discovery was started on, not the global one. */
static guint
add_timeout (EspyDiscovery *self,
             guint          ms,
             GSourceFunc    func,
             gpointer       data)
{
  g_autoptr(GSource) source = ms == 0 ? g_idle_source_new () : g_timeout_source_new (ms);
  guint id;

  g_source_set_priority (source, G_PRIORITY_DEFAULT);
  g_source_set_callback (source, func, data, NULL);
  id = g_source_attach (source, self->context);
  return id;
}

static void
clear_timeout (EspyDiscovery *self,
               guint         *id)
{
  GSource *source;

  if (*id == 0)
    return;
  source = g_main_context_find_source_by_id (self->context, *id);
  if (source != NULL)
    g_source_destroy (source);
  *id = 0;
}

static void
service_free (Service *service)
{
  clear_timeout (service->self, &service->retry_id);
  g_clear_pointer (&service->resolver, avahi_service_resolver_free);
  g_free (service->name);
  g_free (service->type);
  g_free (service->domain);
  g_free (service->host_name);
  g_free (service->address);
  g_clear_pointer (&service->txt, g_hash_table_unref);
  g_free (service);
}

static void
device_free (Device *device)
{
  g_ptr_array_unref (device->services);
  g_clear_pointer (&device->record, espy_mdns_record_unref);
  g_free (device->name);
  g_free (device);
}

static gboolean
same_host (const char *a,
           const char *b)
{
  return a != NULL && b != NULL && g_ascii_strcasecmp (a, b) == 0;
}

static guint16
find_web_port (EspyDiscovery *self,
               const char    *name,
               const char    *host_name)
{
  guint16 by_name = 0;

  /* ESPHome's web server announces under the node name on the same host. */
  for (guint i = 0; i < self->http_services->len; i++)
    {
      Service *http = g_ptr_array_index (self->http_services, i);

      if (!http->resolved)
        continue;
      if (same_host (http->host_name, host_name))
        return http->port;
      if (by_name == 0 && g_strcmp0 (http->name, name) == 0)
        by_name = http->port;
    }
  return by_name;
}

/* The merged record of DEVICE's resolved copies, or NULL when none is. */
static EspyMdnsRecord *
device_build_record (EspyDiscovery *self,
                     Device        *device)
{
  Service *latest = NULL;
  Service *primary = NULL;
  EspyMdnsRecord *record;

  for (guint i = 0; i < device->services->len; i++)
    {
      Service *service = g_ptr_array_index (device->services, i);

      if (!service->resolved)
        continue;
      if (latest == NULL || service->resolved_seq > latest->resolved_seq)
        latest = service;
      /* A stable choice, so a re-resolve on another copy is no change. */
      if (primary == NULL
          || (service->protocol == AVAHI_PROTO_INET && primary->protocol != AVAHI_PROTO_INET)
          || (service->protocol == primary->protocol && service->interface < primary->interface))
        primary = service;
    }
  if (latest == NULL)
    return NULL;

  record = espy_mdns_record_new (device->name);
  /* Content from the copy heard last: after an OTA the new TXT wins. */
  espy_mdns_record_set_host_name (record, latest->host_name);
  espy_mdns_record_set_port (record, latest->port);
  espy_mdns_record_set_txt_table (record, latest->txt);
  espy_mdns_record_set_interface (record, primary->interface,
                                  primary->protocol == AVAHI_PROTO_INET6 ? G_SOCKET_FAMILY_IPV6
                                                                         : G_SOCKET_FAMILY_IPV4);
  espy_mdns_record_add_address (record, primary->address);
  for (guint i = 0; i < device->services->len; i++)
    {
      Service *service = g_ptr_array_index (device->services, i);

      if (service->resolved)
        espy_mdns_record_add_address (record, service->address);
    }
  espy_mdns_record_set_web_port (record, find_web_port (self, device->name, latest->host_name));
  return record;
}

/* Reports what changed about DEVICE; drops DEVICE once its last copy is gone. */
static void
device_sync (EspyDiscovery *self,
             Device        *device)
{
  g_autoptr(EspyMdnsRecord) record = device_build_record (self, device);
  g_autoptr(EspyMdnsRecord) old = NULL;
  g_autofree char *name = NULL;

  if (espy_mdns_record_equal (record, device->record))
    return;

  old = g_steal_pointer (&device->record);
  name = g_strdup (device->name);
  if (record != NULL)
    device->record = espy_mdns_record_ref (record);
  if (device->services->len == 0)
    g_hash_table_remove (self->devices, name);

  if (record == NULL && old != NULL)
    post_event (self, EVENT_REMOVED, name, NULL, 0);
  else if (record != NULL && old == NULL)
    post_event (self, EVENT_ADDED, name, record, 0);
  else if (record != NULL)
    post_event (self, EVENT_UPDATED, name, record, 0);
}

/* An `_http._tcp` service changed: devices on its host may have a new web port. */
static void
http_sync (EspyDiscovery *self,
           const char    *name,
           const char    *host_name)
{
  GHashTableIter iter;
  Device *device;

  g_hash_table_iter_init (&iter, self->devices);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &device))
    if (device->record != NULL
        && (g_strcmp0 (device->name, name) == 0
            || same_host (espy_mdns_record_get_host_name (device->record), host_name)))
      device_sync (self, device);   /* never drops DEVICE: it still has copies */
}

static GPtrArray *
string_list_to_array (AvahiStringList *txt)
{
  GPtrArray *strings = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);

  /* avahi-client hands the strings over in wire order (checked against
   * a raw query), which decides which of repeated keys is first. */
  for (AvahiStringList *l = txt; l != NULL; l = avahi_string_list_get_next (l))
    g_ptr_array_add (strings, g_bytes_new (avahi_string_list_get_text (l), avahi_string_list_get_size (l)));
  return strings;
}

static char *
address_to_string (const AvahiAddress *address,
                   AvahiIfIndex        interface)
{
  char text[AVAHI_ADDRESS_STR_MAX];
  char ifname[IF_NAMESIZE];

  avahi_address_snprint (text, sizeof text, address);
  /* A link-local IPv6 address means nothing without its interface. */
  if (address->proto == AVAHI_PROTO_INET6
      && address->data.ipv6.address[0] == 0xfe && (address->data.ipv6.address[1] & 0xc0) == 0x80
      && interface >= 0 && if_indextoname ((unsigned) interface, ifname) != NULL)
    return g_strdup_printf ("%s%%%s", text, ifname);
  return g_strdup (text);
}

static gboolean
retry_resolve_cb (gpointer user_data)
{
  Service *service = user_data;

  service->retry_id = 0;
  service_start_resolver (service);
  return G_SOURCE_REMOVE;
}

static void
resolve_callback (AvahiServiceResolver   *resolver,
                  AvahiIfIndex            interface,
                  AvahiProtocol           protocol,
                  AvahiResolverEvent      event,
                  const char             *name,
                  const char             *type,
                  const char             *domain,
                  const char             *host_name,
                  const AvahiAddress     *address,
                  uint16_t                port,
                  AvahiStringList        *txt,
                  AvahiLookupResultFlags  flags,
                  void                   *user_data)
{
  Service *service = user_data;
  EspyDiscovery *self = service->self;
  g_autoptr(GPtrArray) strings = NULL;
  g_autofree char *service_name = NULL;
  g_autofree char *service_host = NULL;

  switch (event)
    {
    case AVAHI_RESOLVER_FOUND:
      g_free (service->host_name);
      service->host_name = g_strdup (host_name);
      g_free (service->address);
      service->address = address != NULL ? address_to_string (address, interface) : NULL;
      service->port = port;
      strings = string_list_to_array (txt);
      g_clear_pointer (&service->txt, g_hash_table_unref);
      service->txt = espy_mdns_txt_decode (strings);
      service->resolved = TRUE;
      service->resolved_seq = ++self->resolve_seq;
      /* The resolver stays: avahi reports TXT and address changes through it. */
      if (service->device != NULL)
        {
          device_sync (self, service->device);
        }
      else
        {
          service_name = g_strdup (service->name);
          service_host = g_strdup (service->host_name);
          http_sync (self, service_name, service_host);
        }
      break;

    case AVAHI_RESOLVER_FAILURE:
      g_debug ("resolving %s.%s failed: %s", name, type,
               avahi_strerror (avahi_client_errno (avahi_service_resolver_get_client (resolver))));
      /* Keep what it said before (if anything), ask again later. */
      g_clear_pointer (&service->resolver, avahi_service_resolver_free);
      if (service->retry_id == 0)
        service->retry_id = add_timeout (self, RESOLVE_RETRY_MS, retry_resolve_cb, service);
      break;

    default:
      break;
    }
}

static void
service_start_resolver (Service *service)
{
  EspyDiscovery *self = service->self;

  if (self->client == NULL || service->resolver != NULL)
    return;
  /* One address family per copy: the IPv4 copy gives the A record, the
   * IPv6 copy the AAAA record. */
  service->resolver = avahi_service_resolver_new (self->client, service->interface, service->protocol,
                                                  service->name, service->type, service->domain,
                                                  service->protocol, 0, resolve_callback, service);
  if (service->resolver == NULL)
    {
      g_debug ("cannot resolve %s.%s: %s", service->name, service->type,
               avahi_strerror (avahi_client_errno (self->client)));
      if (service->retry_id == 0)
        service->retry_id = add_timeout (self, RESOLVE_RETRY_MS, retry_resolve_cb, service);
    }
}

static gboolean
service_matches (Service       *service,
                 AvahiIfIndex   interface,
                 AvahiProtocol  protocol,
                 const char    *name,
                 const char    *domain)
{
  return service->interface == interface && service->protocol == protocol
         && g_strcmp0 (service->name, name) == 0
         && g_ascii_strcasecmp (service->domain, domain) == 0;
}

static Service *
service_new (EspyDiscovery *self,
             AvahiIfIndex   interface,
             AvahiProtocol  protocol,
             const char    *name,
             const char    *type,
             const char    *domain)
{
  Service *service = g_new0 (Service, 1);

  service->self = self;
  service->interface = interface;
  service->protocol = protocol;
  service->name = g_strdup (name);
  service->type = g_strdup (type);
  service->domain = g_strdup (domain);
  return service;
}

static void
esphome_item (EspyDiscovery      *self,
              AvahiBrowserEvent   event,
              AvahiIfIndex        interface,
              AvahiProtocol       protocol,
              const char         *name,
              const char         *type,
              const char         *domain)
{
  Device *device = g_hash_table_lookup (self->devices, name);
  Service *service;
  guint i;

  for (i = 0; device != NULL && i < device->services->len; i++)
    if (service_matches (g_ptr_array_index (device->services, i), interface, protocol, name, domain))
      break;

  if (event == AVAHI_BROWSER_NEW)
    {
      if (device != NULL && i < device->services->len)
        return;   /* already known */
      if (device == NULL)
        {
          device = g_new0 (Device, 1);
          device->name = g_strdup (name);
          device->services = g_ptr_array_new_with_free_func ((GDestroyNotify) service_free);
          g_hash_table_insert (self->devices, device->name, device);
        }
      service = service_new (self, interface, protocol, name, type, domain);
      service->device = device;
      g_ptr_array_add (device->services, service);
      service_start_resolver (service);
    }
  else if (device != NULL && i < device->services->len)
    {
      /* Gone from one interface/protocol; the device leaves with its last copy. */
      g_ptr_array_remove_index (device->services, i);
      if (device->services->len == 0 && device->record == NULL)
        g_hash_table_remove (self->devices, name);
      else
        device_sync (self, device);
    }
}

static void
http_item (EspyDiscovery      *self,
           AvahiBrowserEvent   event,
           AvahiIfIndex        interface,
           AvahiProtocol       protocol,
           const char         *name,
           const char         *type,
           const char         *domain)
{
  g_autofree char *host_name = NULL;
  g_autofree char *service_name = NULL;
  Service *service;
  guint i;

  for (i = 0; i < self->http_services->len; i++)
    if (service_matches (g_ptr_array_index (self->http_services, i), interface, protocol, name, domain))
      break;

  if (event == AVAHI_BROWSER_NEW)
    {
      if (i < self->http_services->len)
        return;
      service = service_new (self, interface, protocol, name, type, domain);
      g_ptr_array_add (self->http_services, service);
      service_start_resolver (service);
    }
  else if (i < self->http_services->len)
    {
      service = g_ptr_array_index (self->http_services, i);
      host_name = g_strdup (service->host_name);
      service_name = g_strdup (service->name);
      g_ptr_array_remove_index_fast (self->http_services, i);
      http_sync (self, service_name, host_name);
    }
}

/* Forgets every service and reports every device as gone. */
static void
drop_everything (EspyDiscovery *self)
{
  GHashTableIter iter;
  Device *device;

  g_clear_pointer (&self->esphome_browser, avahi_service_browser_free);
  g_clear_pointer (&self->http_browser, avahi_service_browser_free);

  g_hash_table_iter_init (&iter, self->devices);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &device))
    if (device->record != NULL)
      post_event (self, EVENT_REMOVED, device->name, NULL, 0);
  g_hash_table_remove_all (self->devices);
  g_ptr_array_set_size (self->http_services, 0);
}

static void
browse_callback (AvahiServiceBrowser    *browser,
                 AvahiIfIndex            interface,
                 AvahiProtocol           protocol,
                 AvahiBrowserEvent       event,
                 const char             *name,
                 const char             *type,
                 const char             *domain,
                 AvahiLookupResultFlags  flags,
                 void                   *user_data)
{
  EspyDiscovery *self = user_data;
  gboolean esphome = browser == self->esphome_browser;

  switch (event)
    {
    case AVAHI_BROWSER_NEW:
    case AVAHI_BROWSER_REMOVE:
      if (name == NULL || type == NULL || domain == NULL)
        return;
      if (esphome)
        esphome_item (self, event, interface, protocol, name, type, domain);
      else
        http_item (self, event, interface, protocol, name, type, domain);
      break;

    case AVAHI_BROWSER_FAILURE:
      /* The daemon dropped the browser: start over on a fresh connection. */
      g_warning ("mDNS browsing failed: %s",
                 avahi_strerror (avahi_client_errno (avahi_service_browser_get_client (browser))));
      if (self->client != NULL)
        client_callback (self->client, AVAHI_CLIENT_FAILURE, self);
      break;

    case AVAHI_BROWSER_ALL_FOR_NOW:
    case AVAHI_BROWSER_CACHE_EXHAUSTED:
    default:
      break;
    }
}

static void
start_browsing (EspyDiscovery *self)
{
  if (self->esphome_browser == NULL)
    self->esphome_browser = avahi_service_browser_new (self->client, AVAHI_IF_UNSPEC, AVAHI_PROTO_UNSPEC,
                                                       ESPY_MDNS_SERVICE_TYPE_ESPHOME, NULL, 0,
                                                       browse_callback, self);
  if (self->http_browser == NULL)
    self->http_browser = avahi_service_browser_new (self->client, AVAHI_IF_UNSPEC, AVAHI_PROTO_UNSPEC,
                                                    ESPY_MDNS_SERVICE_TYPE_HTTP, NULL, 0,
                                                    browse_callback, self);
  if (self->esphome_browser == NULL || self->http_browser == NULL)
    g_warning ("cannot browse for mDNS services: %s", avahi_strerror (avahi_client_errno (self->client)));
}

static void client_connect (EspyDiscovery *self);

static gboolean
reconnect_cb (gpointer user_data)
{
  EspyDiscovery *self = user_data;

  self->reconnect_id = 0;
  g_clear_pointer (&self->client, avahi_client_free);
  client_connect (self);
  return G_SOURCE_REMOVE;
}

static void
client_callback (AvahiClient      *client,
                 AvahiClientState  state,
                 void             *user_data)
{
  EspyDiscovery *self = user_data;
  int error;

  /* The first call comes from inside avahi_client_new(). */
  if (self->client == NULL)
    self->client = client;

  switch (state)
    {
    case AVAHI_CLIENT_S_RUNNING:
    case AVAHI_CLIENT_S_REGISTERING:
    case AVAHI_CLIENT_S_COLLISION:
      /* Our own host name being (re)registered does not stop browsing. */
      start_browsing (self);
      worker_set_state (self, ESPY_DISCOVERY_STATE_RUNNING);
      break;

    case AVAHI_CLIENT_CONNECTING:
      /* AVAHI_CLIENT_NO_FAIL: no daemon yet, the client waits for one. */
      worker_set_state (self, ESPY_DISCOVERY_STATE_UNAVAILABLE);
      break;

    case AVAHI_CLIENT_FAILURE:
      error = avahi_client_errno (client);
      g_debug ("avahi client failed: %s", avahi_strerror (error));
      drop_everything (self);
      fail_host_lookups (self);
      worker_set_state (self, ESPY_DISCOVERY_STATE_UNAVAILABLE);
      /* A client that failed stays failed; a new NO_FAIL client waits for
       * the daemon to come back. Not from inside the client's own callback. */
      if (self->reconnect_id == 0)
        self->reconnect_id = add_timeout (self, error == AVAHI_ERR_DISCONNECTED ? 0 : RECONNECT_MS,
                                          reconnect_cb, self);
      break;

    default:
      break;
    }
}

static void
client_connect (EspyDiscovery *self)
{
  AvahiClient *client;
  int error = 0;

  client = avahi_client_new (avahi_glib_poll_get (self->poll), AVAHI_CLIENT_NO_FAIL,
                             client_callback, self, &error);
  if (client == NULL)
    {
      /* Even NO_FAIL gives up when there is no system bus. */
      g_debug ("cannot talk to avahi: %s", avahi_strerror (error));
      self->client = NULL;
      worker_set_state (self, ESPY_DISCOVERY_STATE_UNAVAILABLE);
      if (self->reconnect_id == 0)
        self->reconnect_id = add_timeout (self, RECONNECT_MS, reconnect_cb, self);
      return;
    }
  self->client = client;
}

static gpointer
worker_main (gpointer data)
{
  EspyDiscovery *self = data;

  g_main_context_push_thread_default (self->context);
  self->poll = avahi_glib_poll_new (self->context, G_PRIORITY_DEFAULT);
  client_connect (self);
  while (!g_atomic_int_get (&self->quit))
    g_main_context_iteration (self->context, TRUE);

  /* Host lookups queued but not started end here, with an error
   * (bounded: the daemon might keep talking). */
  for (guint i = 0; i < 1000 && g_main_context_pending (self->context); i++)
    g_main_context_iteration (self->context, FALSE);
  clear_timeout (self, &self->reconnect_id);
  drop_everything (self);
  fail_host_lookups (self);
  g_clear_pointer (&self->client, avahi_client_free);
  g_clear_pointer (&self->poll, avahi_glib_poll_free);
  g_main_context_pop_thread_default (self->context);
  return NULL;
}

void
espy_discovery_start (EspyDiscovery *self)
{
  g_return_if_fail (ESPY_IS_DISCOVERY (self));

  if (self->started)
    return;
  self->started = TRUE;
  self->owner_context = g_main_context_ref_thread_default ();
  self->context = g_main_context_new ();
  self->worker_generation = ++self->generation;
  g_atomic_int_set (&self->quit, FALSE);
  set_state (self, ESPY_DISCOVERY_STATE_STARTING);
  self->thread = g_thread_new ("espy-discovery", worker_main, self);
}

void
espy_discovery_stop (EspyDiscovery *self)
{
  g_autoptr(GPtrArray) names = NULL;
  g_autoptr(EspyDiscovery) keep = NULL;
  GHashTableIter iter;
  gpointer key;

  g_return_if_fail (ESPY_IS_DISCOVERY (self));

  if (!self->started)
    return;
  self->started = FALSE;
  g_atomic_int_set (&self->quit, TRUE);
  g_main_context_wakeup (self->context);
  g_clear_pointer (&self->thread, g_thread_join);
  g_clear_pointer (&self->context, g_main_context_unref);
  g_clear_pointer (&self->owner_context, g_main_context_unref);
  /* What the worker still queued is stale now. */
  self->generation++;

  keep = g_object_ref (self);
  names = g_ptr_array_new_with_free_func (g_free);
  g_hash_table_iter_init (&iter, self->records);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    g_ptr_array_add (names, g_strdup (key));
  g_hash_table_remove_all (self->records);
  for (guint i = 0; i < names->len; i++)
    g_signal_emit (self, signals[RECORD_REMOVED], 0, g_ptr_array_index (names, i));
  set_state (self, ESPY_DISCOVERY_STATE_STARTING);
}

EspyDiscoveryState
espy_discovery_get_state (EspyDiscovery *self)
{
  g_return_val_if_fail (ESPY_IS_DISCOVERY (self), ESPY_DISCOVERY_STATE_STARTING);
  return self->state;
}

const char *
espy_discovery_get_message (EspyDiscovery *self)
{
  g_return_val_if_fail (ESPY_IS_DISCOVERY (self), NULL);
  return self->message;
}

static int
compare_records (gconstpointer a,
                 gconstpointer b)
{
  return g_strcmp0 (espy_mdns_record_get_name (*(EspyMdnsRecord **) a),
                    espy_mdns_record_get_name (*(EspyMdnsRecord **) b));
}

GPtrArray *
espy_discovery_dup_records (EspyDiscovery *self)
{
  GPtrArray *records = g_ptr_array_new_with_free_func ((GDestroyNotify) espy_mdns_record_unref);
  GHashTableIter iter;
  gpointer record;

  g_return_val_if_fail (ESPY_IS_DISCOVERY (self), records);

  g_hash_table_iter_init (&iter, self->records);
  while (g_hash_table_iter_next (&iter, NULL, &record))
    g_ptr_array_add (records, espy_mdns_record_ref (record));
  g_ptr_array_sort (records, compare_records);
  return records;
}

EspyMdnsRecord *
espy_discovery_lookup (EspyDiscovery *self,
                       const char    *name)
{
  g_return_val_if_fail (ESPY_IS_DISCOVERY (self), NULL);
  g_return_val_if_fail (name != NULL, NULL);

  return g_hash_table_lookup (self->records, name);
}

/* Host name lookups: asked on the owner's context, run on the worker,
 * answered (GTask) on the owner's context again. */

typedef struct {
  EspyDiscovery          *self;  /* unowned; the task holds a ref */
  char                   *host_name;
  AvahiProtocol           protocol;
  AvahiHostNameResolver  *resolver;
  gulong                  cancelled_id;
} HostLookup;

static void
host_lookup_free (gpointer data)
{
  HostLookup *lookup = data;

  g_clear_pointer (&lookup->resolver, avahi_host_name_resolver_free);
  g_free (lookup->host_name);
  g_free (lookup);
}

/* Worker: ends TASK (once) and drops its resolver. */
static void
host_lookup_finish (GTask  *task,
                    char   *address,
                    GError *error)
{
  HostLookup *lookup = g_task_get_task_data (task);

  g_object_ref (task);
  if (!g_ptr_array_remove (lookup->self->host_lookups, task))
    {
      g_object_unref (task);
      g_free (address);
      g_clear_error (&error);
      return;
    }
  g_cancellable_disconnect (g_task_get_cancellable (task), lookup->cancelled_id);
  lookup->cancelled_id = 0;
  g_clear_pointer (&lookup->resolver, avahi_host_name_resolver_free);
  if (error != NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, address, g_free);
  g_object_unref (task);
}

static GError *
not_available_error (void)
{
  return g_error_new_literal (G_IO_ERROR, G_IO_ERROR_NOT_CONNECTED,
                              _("mDNS is not available: devices can still be added by address"));
}

static void
host_resolve_callback (AvahiHostNameResolver  *resolver,
                       AvahiIfIndex            interface,
                       AvahiProtocol           protocol,
                       AvahiResolverEvent      event,
                       const char             *name,
                       const AvahiAddress     *address,
                       AvahiLookupResultFlags  flags,
                       void                   *user_data)
{
  GTask *task = user_data;
  HostLookup *lookup = g_task_get_task_data (task);
  int error;

  switch (event)
    {
    case AVAHI_RESOLVER_FOUND:
      host_lookup_finish (task, address_to_string (address, interface), NULL);
      break;

    case AVAHI_RESOLVER_FAILURE:
      error = avahi_client_errno (lookup->self->client);
      host_lookup_finish (task, NULL,
                          g_error_new (G_IO_ERROR,
                                       error == AVAHI_ERR_TIMEOUT ? G_IO_ERROR_TIMED_OUT : G_IO_ERROR_NOT_FOUND,
                                       _("No device answered to “%s” via mDNS"), lookup->host_name));
      break;

    default:
      break;
    }
}

static gboolean
host_lookup_cancel_cb (gpointer user_data)
{
  host_lookup_finish (user_data, NULL, g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED,
                                                            _("The operation was cancelled")));
  return G_SOURCE_REMOVE;
}

static void
host_lookup_cancelled (GCancellable *cancellable,
                       GTask        *task)
{
  HostLookup *lookup = g_task_get_task_data (task);

  /* Any thread; the lookup lives on the worker. */
  g_main_context_invoke_full (lookup->self->context, G_PRIORITY_DEFAULT,
                              host_lookup_cancel_cb, g_object_ref (task), g_object_unref);
}

static gboolean
host_lookup_start_cb (gpointer user_data)
{
  GTask *task = user_data;
  HostLookup *lookup = g_task_get_task_data (task);
  EspyDiscovery *self = lookup->self;
  GCancellable *cancellable = g_task_get_cancellable (task);

  g_ptr_array_add (self->host_lookups, g_object_ref (task));
  if (self->client == NULL || g_atomic_int_get (&self->quit)
      || self->esphome_browser == NULL)   /* browsers exist while the daemon is there */
    {
      host_lookup_finish (task, NULL, not_available_error ());
      return G_SOURCE_REMOVE;
    }
  lookup->resolver = avahi_host_name_resolver_new (self->client, AVAHI_IF_UNSPEC, AVAHI_PROTO_UNSPEC,
                                                   lookup->host_name, lookup->protocol, 0,
                                                   host_resolve_callback, task);
  if (lookup->resolver == NULL)
    {
      host_lookup_finish (task, NULL,
                          g_error_new (G_IO_ERROR, G_IO_ERROR_FAILED, _("Cannot look up “%s” via mDNS: %s"),
                                       lookup->host_name, avahi_strerror (avahi_client_errno (self->client))));
      return G_SOURCE_REMOVE;
    }
  if (cancellable != NULL)
    lookup->cancelled_id = g_cancellable_connect (cancellable, G_CALLBACK (host_lookup_cancelled), task, NULL);
  return G_SOURCE_REMOVE;
}

static void
fail_host_lookups (EspyDiscovery *self)
{
  while (self->host_lookups->len > 0)
    host_lookup_finish (g_ptr_array_index (self->host_lookups, 0), NULL, not_available_error ());
}

void
espy_discovery_resolve_host_async (EspyDiscovery       *self,
                                   const char          *host_name,
                                   GSocketFamily        family,
                                   GCancellable        *cancellable,
                                   GAsyncReadyCallback  callback,
                                   gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  HostLookup *lookup;

  g_return_if_fail (ESPY_IS_DISCOVERY (self));
  g_return_if_fail (host_name != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, espy_discovery_resolve_host_async);
  if (!self->started || self->state != ESPY_DISCOVERY_STATE_RUNNING)
    {
      g_task_return_error (task, not_available_error ());
      return;
    }
  if (g_task_return_error_if_cancelled (task))
    return;

  lookup = g_new0 (HostLookup, 1);
  lookup->self = self;
  lookup->host_name = g_strdup (host_name);
  lookup->protocol = family == G_SOCKET_FAMILY_IPV4 ? AVAHI_PROTO_INET
                     : family == G_SOCKET_FAMILY_IPV6 ? AVAHI_PROTO_INET6 : AVAHI_PROTO_UNSPEC;
  g_task_set_task_data (task, lookup, host_lookup_free);
  /* The worker drains its context before it ends, so this always runs. */
  g_main_context_invoke_full (self->context, G_PRIORITY_DEFAULT, host_lookup_start_cb,
                              g_object_ref (task), g_object_unref);
}

char *
espy_discovery_resolve_host_finish (EspyDiscovery  *self,
                                    GAsyncResult   *result,
                                    GError        **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

/* GObject */

EspyDiscovery *
espy_discovery_new (void)
{
  return g_object_new (ESPY_TYPE_DISCOVERY, NULL);
}

static void
espy_discovery_dispose (GObject *object)
{
  EspyDiscovery *self = ESPY_DISCOVERY (object);

  /* No signals from a dying object. */
  g_signal_handlers_destroy (object);
  espy_discovery_stop (self);
  G_OBJECT_CLASS (espy_discovery_parent_class)->dispose (object);
}

static void
espy_discovery_finalize (GObject *object)
{
  EspyDiscovery *self = ESPY_DISCOVERY (object);

  g_hash_table_unref (self->devices);
  g_ptr_array_unref (self->http_services);
  g_ptr_array_unref (self->host_lookups);
  g_hash_table_unref (self->records);
  g_queue_clear_full (&self->events, (GDestroyNotify) event_free);
  g_mutex_clear (&self->lock);
  g_free (self->message);
  G_OBJECT_CLASS (espy_discovery_parent_class)->finalize (object);
}

static void
espy_discovery_get_property (GObject    *object,
                             guint       prop_id,
                             GValue     *value,
                             GParamSpec *pspec)
{
  EspyDiscovery *self = ESPY_DISCOVERY (object);

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
espy_discovery_class_init (EspyDiscoveryClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = espy_discovery_dispose;
  object_class->finalize = espy_discovery_finalize;
  object_class->get_property = espy_discovery_get_property;

  properties[PROP_STATE] =
    g_param_spec_enum ("state", NULL, NULL, ESPY_TYPE_DISCOVERY_STATE, ESPY_DISCOVERY_STATE_STARTING,
                       G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_MESSAGE] =
    g_param_spec_string ("message", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  signals[RECORD_ADDED] =
    g_signal_new ("record-added", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 1, ESPY_TYPE_MDNS_RECORD);
  signals[RECORD_UPDATED] =
    g_signal_new ("record-updated", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 1, ESPY_TYPE_MDNS_RECORD);
  signals[RECORD_REMOVED] =
    g_signal_new ("record-removed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 1, G_TYPE_STRING);
}

static void
espy_discovery_init (EspyDiscovery *self)
{
  self->state = ESPY_DISCOVERY_STATE_STARTING;
  self->devices = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, (GDestroyNotify) device_free);
  self->http_services = g_ptr_array_new_with_free_func ((GDestroyNotify) service_free);
  self->host_lookups = g_ptr_array_new_with_free_func (g_object_unref);
  self->records = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                         (GDestroyNotify) espy_mdns_record_unref);
  g_mutex_init (&self->lock);
  g_queue_init (&self->events);
}
