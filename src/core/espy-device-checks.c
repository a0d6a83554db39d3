/* espy-device-checks.c
 *
 * Copyright 2026 The Espy authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "espy-device-checks.h"

#include <arpa/inet.h>
#include <glib/gi18n-lib.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

#include "espy-api-client.h"
#include "espy-install-job.h"
#include "espy-ota-client.h"
#include "espy-ota-error.h"
#include "espy-secret-string.h"

/* --- results ---------------------------------------------------------------- */

static const struct {
  const char *nick;
  const char *title;
} check_info[ESPY_N_CHECKS] = {
  [ESPY_CHECK_MDNS] = { "mdns", N_("mDNS name") },
  [ESPY_CHECK_DNS] = { "dns", N_("DNS name") },
  [ESPY_CHECK_SUBNET] = { "subnet", N_("Same network") },
  [ESPY_CHECK_OTA_PORT] = { "ota-port", N_("OTA port") },
  [ESPY_CHECK_API_PORT] = { "api-port", N_("API port") },
  [ESPY_CHECK_WEB_PORT] = { "web-port", N_("Web server port") },
  [ESPY_CHECK_OTA_HANDSHAKE] = { "ota-handshake", N_("OTA handshake") },
  [ESPY_CHECK_API_INFO] = { "api-info", N_("API device info") },
  [ESPY_CHECK_LAST_SEEN] = { "last-seen", N_("Last seen") },
};

const char *
espy_check_id_to_nick (EspyCheckId id)
{
  g_return_val_if_fail ((guint) id < ESPY_N_CHECKS, NULL);
  return check_info[id].nick;
}

const char *
espy_check_id_describe (EspyCheckId id)
{
  g_return_val_if_fail ((guint) id < ESPY_N_CHECKS, NULL);
  return _(check_info[id].title);
}

const char *
espy_check_status_to_nick (EspyCheckStatus status)
{
  switch (status)
    {
    case ESPY_CHECK_STATUS_PASS: return "pass";
    case ESPY_CHECK_STATUS_FAIL: return "fail";
    case ESPY_CHECK_STATUS_SKIPPED: return "skipped";
    default: return NULL;
    }
}

EspyCheckResult *
espy_check_result_new (EspyCheckId      id,
                       EspyCheckStatus  status,
                       const char      *summary)
{
  EspyCheckResult *r = g_new0 (EspyCheckResult, 1);

  r->id = id;
  r->status = status;
  r->summary = g_strdup (summary);
  return r;
}

void
espy_check_result_free (EspyCheckResult *result)
{
  if (result == NULL)
    return;
  g_free (result->summary);
  g_free (result->value);
  g_free (result->error_domain);
  g_free (result->error_code);
  g_free (result);
}

const EspyCheckResult *
espy_check_results_find (GPtrArray   *results,
                         EspyCheckId  id)
{
  for (guint i = 0; results != NULL && i < results->len; i++)
    {
      const EspyCheckResult *r = g_ptr_array_index (results, i);

      if (r != NULL && r->id == id)
        return r;
    }
  return NULL;
}

/* --- subnets ---------------------------------------------------------------- */

static gboolean
masked_equal (const guint8 *a,
              const guint8 *b,
              const guint8 *mask,
              gsize         len)
{
  for (gsize i = 0; i < len; i++)
    if ((a[i] & mask[i]) != (b[i] & mask[i]))
      return FALSE;
  return TRUE;
}

gboolean
espy_address_is_local_subnet (const char  *address,
                              char       **iface)
{
  g_autoptr(GInetAddress) target = NULL;
  struct ifaddrs *list = NULL;
  gboolean found = FALSE;
  GSocketFamily family;
  const guint8 *bytes;

  if (iface != NULL)
    *iface = NULL;
  target = address != NULL ? g_inet_address_new_from_string (address) : NULL;
  if (target == NULL || getifaddrs (&list) != 0)
    return FALSE;

  family = g_inet_address_get_family (target);
  bytes = g_inet_address_to_bytes (target);
  for (struct ifaddrs *ifa = list; ifa != NULL && !found; ifa = ifa->ifa_next)
    {
      if (ifa->ifa_addr == NULL || ifa->ifa_netmask == NULL || !(ifa->ifa_flags & IFF_UP))
        continue;
      if (family == G_SOCKET_FAMILY_IPV4 && ifa->ifa_addr->sa_family == AF_INET)
        {
          const struct sockaddr_in *a = (const struct sockaddr_in *) (gconstpointer) ifa->ifa_addr;
          const struct sockaddr_in *m = (const struct sockaddr_in *) (gconstpointer) ifa->ifa_netmask;

          found = masked_equal (bytes, (const guint8 *) &a->sin_addr, (const guint8 *) &m->sin_addr, 4);
        }
      else if (family == G_SOCKET_FAMILY_IPV6 && ifa->ifa_addr->sa_family == AF_INET6)
        {
          const struct sockaddr_in6 *a = (const struct sockaddr_in6 *) (gconstpointer) ifa->ifa_addr;
          const struct sockaddr_in6 *m = (const struct sockaddr_in6 *) (gconstpointer) ifa->ifa_netmask;

          found = masked_equal (bytes, (const guint8 *) &a->sin6_addr, (const guint8 *) &m->sin6_addr, 16);
        }
      if (found && iface != NULL)
        *iface = g_strdup (ifa->ifa_name);
    }
  freeifaddrs (list);
  return found;
}

/* --- the object ------------------------------------------------------------- */

struct _EspyDeviceChecks {
  GObject        parent_instance;

  char          *host;
  char          *mdns_name;      /* NAME.local, or NULL when there is none to ask */
  guint16        ota_port;
  guint16        api_port;
  guint16        web_port;
  guint          timeout_ms;
  char          *ota_password;
  char          *api_key;
  EspyDiscovery *discovery;
  EspyDevice    *device;
};

G_DEFINE_FINAL_TYPE (EspyDeviceChecks, espy_device_checks, G_TYPE_OBJECT)

enum {
  CHECK_FINISHED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void
espy_device_checks_finalize (GObject *object)
{
  EspyDeviceChecks *self = ESPY_DEVICE_CHECKS (object);

  g_free (self->host);
  g_free (self->mdns_name);
  espy_secret_string_clear (&self->ota_password);
  espy_secret_string_clear (&self->api_key);
  g_clear_object (&self->discovery);
  g_clear_object (&self->device);
  G_OBJECT_CLASS (espy_device_checks_parent_class)->finalize (object);
}

static void
espy_device_checks_class_init (EspyDeviceChecksClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = espy_device_checks_finalize;

  signals[CHECK_FINISHED] = g_signal_new ("check-finished", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                          0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_POINTER);
}

static void
espy_device_checks_init (EspyDeviceChecks *self)
{
  self->timeout_ms = ESPY_DEVICE_CHECKS_DEFAULT_TIMEOUT_MS;
}

static gboolean
is_address (const char *host)
{
  return g_hostname_is_ip_address (host);
}

/* The name to ask mDNS for: NAME.local from a bare or .local host name, or
 * from the device's node name when the host is an address. */
static char *
mdns_name_for (const char *host,
               const char *node_name)
{
  if (!is_address (host))
    {
      if (g_str_has_suffix (host, ".local") || g_str_has_suffix (host, ".local."))
        return g_strdup (host);
      if (strchr (host, '.') == NULL)
        return g_strconcat (host, ".local", NULL);
    }
  if (node_name != NULL && *node_name != '\0' && !is_address (node_name))
    return g_strconcat (node_name, ".local", NULL);
  return NULL;
}

EspyDeviceChecks *
espy_device_checks_new (const char *host,
                        guint16     ota_port,
                        guint16     api_port,
                        guint16     web_port)
{
  EspyDeviceChecks *self;

  g_return_val_if_fail (host != NULL && *host != '\0', NULL);

  self = g_object_new (ESPY_TYPE_DEVICE_CHECKS, NULL);
  self->host = g_strdup (host);
  self->mdns_name = mdns_name_for (host, NULL);
  self->ota_port = ota_port != 0 ? ota_port : 3232;
  self->api_port = api_port != 0 ? api_port : ESPY_API_DEFAULT_PORT;
  self->web_port = web_port;
  return self;
}

EspyDeviceChecks *
espy_device_checks_new_for_device (EspyDevice *device)
{
  EspyDeviceChecks *self;

  g_return_val_if_fail (ESPY_IS_DEVICE (device), NULL);

  self = espy_device_checks_new (espy_device_get_address (device), espy_device_get_ota_port (device),
                                 espy_device_get_api_port (device), espy_device_get_web_port (device));
  g_free (self->mdns_name);
  self->mdns_name = mdns_name_for (self->host, espy_device_get_name (device));
  self->device = g_object_ref (device);
  return self;
}

void
espy_device_checks_set_ota_password (EspyDeviceChecks *self,
                                     const char       *password)
{
  g_return_if_fail (ESPY_IS_DEVICE_CHECKS (self));
  espy_secret_string_set_non_empty (&self->ota_password, password);
}

void
espy_device_checks_set_api_key (EspyDeviceChecks *self,
                                const char       *key)
{
  g_return_if_fail (ESPY_IS_DEVICE_CHECKS (self));
  espy_secret_string_set_non_empty (&self->api_key, key);
}

void
espy_device_checks_set_discovery (EspyDeviceChecks *self,
                                  EspyDiscovery    *discovery)
{
  g_return_if_fail (ESPY_IS_DEVICE_CHECKS (self));
  g_set_object (&self->discovery, discovery);
}

void
espy_device_checks_set_timeout (EspyDeviceChecks *self,
                                guint             timeout_ms)
{
  g_return_if_fail (ESPY_IS_DEVICE_CHECKS (self));
  self->timeout_ms = MAX (timeout_ms, 100);
}

const char *
espy_device_checks_get_host (EspyDeviceChecks *self)
{
  g_return_val_if_fail (ESPY_IS_DEVICE_CHECKS (self), NULL);
  return self->host;
}

/* --- one run ---------------------------------------------------------------- */

typedef struct {
  EspyDeviceChecks *self;
  GTask            *task;
  GPtrArray        *results;       /* ESPY_N_CHECKS slots */
  GPtrArray        *checks;        /* Check *, for cancelling */
  guint             pending;
  gboolean          cancelled;
  GCancellable     *parent;
  gulong            cancel_id;
} Run;

typedef struct {
  Run          *run;
  EspyCheckId   id;
  gint64        start;
  GCancellable *cancellable;
  guint         timeout_id;
  gboolean      done;
  /* per check */
  EspyOtaClient *ota;
  EspyApiClient *api;
  EspyDiscovery *own_discovery;
  gulong         state_id;
  guint          port;
} Check;

static void run_unref (Run *run);

static void
check_free (Check *c)
{
  g_clear_object (&c->cancellable);
  g_clear_object (&c->ota);
  if (c->api != NULL)
    espy_api_client_close (c->api);
  g_clear_object (&c->api);
  if (c->own_discovery != NULL)
    {
      g_clear_signal_handler (&c->state_id, c->own_discovery);
      espy_discovery_stop (c->own_discovery);
      g_clear_object (&c->own_discovery);
    }
  run_unref (c->run);
}

static Check *
check_ref (Check *c)
{
  return g_rc_box_acquire (c);
}

static void
check_unref (Check *c)
{
  g_rc_box_release_full (c, (GDestroyNotify) check_free);
}

static Run *
run_ref (Run *run)
{
  return g_rc_box_acquire (run);
}

static void
run_free (Run *run)
{
  if (run->parent != NULL)
    g_cancellable_disconnect (run->parent, run->cancel_id);
  g_clear_object (&run->parent);
  g_ptr_array_unref (run->results);
  g_ptr_array_unref (run->checks);
  g_clear_object (&run->task);
  g_object_unref (run->self);
}

static void
run_unref (Run *run)
{
  g_rc_box_release_full (run, (GDestroyNotify) run_free);
}

static guint
elapsed_ms (Check *c)
{
  return (guint) ((g_get_monotonic_time () - c->start) / 1000);
}

/* Records the result of C (once: a late answer after the timeout is dropped). */
static void
finish (Check            *c,
        EspyCheckResult  *result)
{
  Run *run = c->run;

  if (c->done)
    {
      espy_check_result_free (result);
      return;
    }
  c->done = TRUE;
  g_clear_handle_id (&c->timeout_id, g_source_remove);
  result->elapsed_ms = elapsed_ms (c);
  g_ptr_array_index (run->results, c->id) = result;
  g_signal_emit (run->self, signals[CHECK_FINISHED], 0, result);
  /* Stop whatever still runs for it (a late connect, a hanging lookup). */
  g_cancellable_cancel (c->cancellable);

  if (--run->pending == 0)
    {
      g_autoptr(GPtrArray) checks = g_steal_pointer (&run->checks);

      /* The run held every check and each check holds the run: break the
       * cycle now that all are done (the array goes at the end of scope). */
      run->checks = g_ptr_array_new ();
      if (run->cancelled)
        g_task_return_new_error (run->task, G_IO_ERROR, G_IO_ERROR_CANCELLED, _("The checks were cancelled"));
      else
        g_task_return_pointer (run->task, g_ptr_array_ref (run->results), (GDestroyNotify) g_ptr_array_unref);
    }
}

static void
finish_simple (Check           *c,
               EspyCheckStatus  status,
               const char      *summary,
               const char      *value,
               const char      *error_domain,
               const char      *error_code)
{
  EspyCheckResult *r = espy_check_result_new (c->id, status, summary);

  r->value = g_strdup (value);
  r->error_domain = g_strdup (error_domain);
  r->error_code = g_strdup (error_code);
  finish (c, r);
}

static const char *
io_code (const GError *error)
{
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CONNECTION_REFUSED))
    return "connection-refused";
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT) ||
      g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return "timeout";
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_HOST_UNREACHABLE) ||
      g_error_matches (error, G_IO_ERROR, G_IO_ERROR_NETWORK_UNREACHABLE))
    return "unreachable";
  if (error->domain == G_RESOLVER_ERROR || g_error_matches (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND))
    return "resolve";
  return "network";
}

static gboolean
check_timeout_cb (gpointer data)
{
  Check *c = data;
  g_autofree char *summary = NULL;
  const char *domain = "io";

  c->timeout_id = 0;
  switch (c->id)
    {
    case ESPY_CHECK_OTA_HANDSHAKE:
      domain = "ota";
      /* Past the TCP connect, silence is the one-client-at-a-time rule. */
      if (c->ota != NULL && espy_ota_client_get_stage (c->ota) > ESPY_OTA_STAGE_CONNECT)
        summary = g_strdup_printf (_("Connected, but the device said nothing for %.1f s: another upload may be "
                                     "in progress"), c->run->self->timeout_ms / 1000.0);
      else
        summary = g_strdup_printf (_("No connection within %.1f s"), c->run->self->timeout_ms / 1000.0);
      break;
    case ESPY_CHECK_MDNS:
      summary = g_strdup_printf (_("No mDNS answer for %s within %.1f s"), c->run->self->mdns_name,
                                 c->run->self->timeout_ms / 1000.0);
      break;
    case ESPY_CHECK_DNS:
    case ESPY_CHECK_SUBNET:
    case ESPY_CHECK_OTA_PORT:
    case ESPY_CHECK_API_PORT:
    case ESPY_CHECK_WEB_PORT:
    case ESPY_CHECK_API_INFO:
    case ESPY_CHECK_LAST_SEEN:
    default:
      summary = g_strdup_printf (_("No answer within %.1f s"), c->run->self->timeout_ms / 1000.0);
      break;
    }
  finish_simple (c, ESPY_CHECK_STATUS_FAIL, summary, NULL, domain, "timeout");
  return G_SOURCE_REMOVE;
}

static Check *
check_new (Run         *run,
           EspyCheckId  id,
           guint        timeout_ms)
{
  Check *c = g_rc_box_new0 (Check);

  c->run = run_ref (run);
  c->id = id;
  c->start = g_get_monotonic_time ();
  c->cancellable = g_cancellable_new ();
  /* The timer holds a reference until it fires or finish() removes it. */
  c->timeout_id = g_timeout_add_full (G_PRIORITY_DEFAULT, timeout_ms, check_timeout_cb,
                                      check_ref (c), (GDestroyNotify) check_unref);
  g_ptr_array_add (run->checks, c);
  return c;
}

/* --- mDNS ------------------------------------------------------------------- */

static void
mdns_resolved_cb (GObject      *source,
                  GAsyncResult *result,
                  gpointer      data)
{
  Check *c = data;
  g_autoptr(GError) error = NULL;
  g_autofree char *address = espy_discovery_resolve_host_finish (ESPY_DISCOVERY (source), result, &error);
  g_autofree char *summary = NULL;

  if (address != NULL)
    {
      summary = g_strdup_printf (_("%s answers from %s"), c->run->self->mdns_name, address);
      finish_simple (c, ESPY_CHECK_STATUS_PASS, summary, address, NULL, NULL);
    }
  else if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_NOT_CONNECTED))
    {
      summary = g_strdup_printf (_("mDNS is not available on this computer (%s)"), error->message);
      finish_simple (c, ESPY_CHECK_STATUS_FAIL, summary, NULL, "io", "mdns-unavailable");
    }
  else
    {
      summary = g_strdup_printf (_("Nobody answered for %s; mDNS does not cross VLANs or subnets without a "
                                   "repeater"), c->run->self->mdns_name);
      finish_simple (c, ESPY_CHECK_STATUS_FAIL, summary, NULL, "io", "resolve");
    }
  check_unref (c);
}

static void
mdns_resolve (Check         *c,
              EspyDiscovery *discovery)
{
  espy_discovery_resolve_host_async (discovery, c->run->self->mdns_name, G_SOCKET_FAMILY_INVALID,
                                     c->cancellable, mdns_resolved_cb, check_ref (c));
}

static void
own_discovery_state_cb (EspyDiscovery *discovery,
                        GParamSpec    *pspec,
                        Check         *c)
{
  g_autofree char *summary = NULL;

  switch (espy_discovery_get_state (discovery))
    {
    case ESPY_DISCOVERY_STATE_RUNNING:
      g_clear_signal_handler (&c->state_id, discovery);
      mdns_resolve (c, discovery);
      break;
    case ESPY_DISCOVERY_STATE_UNAVAILABLE:
      g_clear_signal_handler (&c->state_id, discovery);
      summary = g_strdup_printf (_("mDNS is not available on this computer (%s)"),
                                 espy_discovery_get_message (discovery));
      finish_simple (c, ESPY_CHECK_STATUS_FAIL, summary, NULL, "io", "mdns-unavailable");
      break;
    case ESPY_DISCOVERY_STATE_STARTING:
    default:
      break;
    }
}

static void
start_mdns (Run *run)
{
  EspyDeviceChecks *self = run->self;
  Check *c = check_new (run, ESPY_CHECK_MDNS, self->timeout_ms);

  if (self->mdns_name == NULL)
    {
      finish_simple (c, ESPY_CHECK_STATUS_SKIPPED, _("No mDNS name to look up: the host is not a .local name"),
                     NULL, NULL, NULL);
      return;
    }
  if (self->discovery != NULL && espy_discovery_get_state (self->discovery) == ESPY_DISCOVERY_STATE_RUNNING)
    {
      mdns_resolve (c, self->discovery);
      return;
    }
  /* A fresh query needs a running browser; start our own for this run. */
  c->own_discovery = espy_discovery_new ();
  c->state_id = g_signal_connect (c->own_discovery, "notify::state", G_CALLBACK (own_discovery_state_cb), c);
  espy_discovery_start (c->own_discovery);
  own_discovery_state_cb (c->own_discovery, NULL, c);
}

/* --- DNS and subnet --------------------------------------------------------- */

static char *
first_address (GList *addresses)
{
  /* Prefer IPv4: it is what ESPHome devices mostly answer on. */
  for (GList *l = addresses; l != NULL; l = l->next)
    if (g_inet_address_get_family (l->data) == G_SOCKET_FAMILY_IPV4)
      return g_inet_address_to_string (l->data);
  return addresses != NULL ? g_inet_address_to_string (addresses->data) : NULL;
}

static void
subnet_decide (Check      *c,
               const char *address)
{
  g_autofree char *iface = NULL;
  g_autofree char *summary = NULL;

  if (espy_address_is_local_subnet (address, &iface))
    {
      summary = g_strdup_printf (_("%s is on this computer's network (%s)"), address, iface);
      finish_simple (c, ESPY_CHECK_STATUS_PASS, summary, address, NULL, NULL);
    }
  else
    {
      summary = g_strdup_printf (_("%s is on none of this computer's networks: traffic goes through a router, "
                                   "and mDNS will not reach it"), address);
      finish_simple (c, ESPY_CHECK_STATUS_FAIL, summary, address, "io", "other-subnet");
    }
}

static void
dns_resolved_cb (GObject      *source,
                 GAsyncResult *result,
                 gpointer      data)
{
  Check *c = data;
  g_autoptr(GError) error = NULL;
  GList *addresses = g_resolver_lookup_by_name_finish (G_RESOLVER (source), result, &error);
  g_autofree char *address = first_address (addresses);
  g_autofree char *summary = NULL;

  g_resolver_free_addresses (addresses);
  if (c->id == ESPY_CHECK_SUBNET)
    {
      if (address != NULL)
        subnet_decide (c, address);
      else
        finish_simple (c, ESPY_CHECK_STATUS_SKIPPED, _("No address to compare: the name did not resolve"),
                       NULL, NULL, NULL);
    }
  else if (address != NULL)
    {
      summary = g_strdup_printf (_("%s resolves to %s"), c->run->self->host, address);
      finish_simple (c, ESPY_CHECK_STATUS_PASS, summary, address, NULL, NULL);
    }
  else
    {
      summary = g_strdup_printf (_("%s does not resolve (%s)"), c->run->self->host, error->message);
      finish_simple (c, ESPY_CHECK_STATUS_FAIL, summary, NULL, "io", "resolve");
    }
  check_unref (c);
}

static void
start_dns (Run         *run,
           EspyCheckId  id)
{
  EspyDeviceChecks *self = run->self;
  Check *c = check_new (run, id, self->timeout_ms);
  g_autoptr(GResolver) resolver = NULL;
  g_autofree char *summary = NULL;

  if (is_address (self->host))
    {
      if (id == ESPY_CHECK_SUBNET)
        subnet_decide (c, self->host);
      else
        {
          summary = g_strdup_printf (_("%s is an address: nothing to look up"), self->host);
          finish_simple (c, ESPY_CHECK_STATUS_SKIPPED, summary, self->host, NULL, NULL);
        }
      return;
    }
  resolver = g_resolver_get_default ();
  g_resolver_lookup_by_name_async (resolver, self->host, c->cancellable, dns_resolved_cb, check_ref (c));
}

/* --- TCP ports -------------------------------------------------------------- */

static void
port_connected_cb (GObject      *source,
                   GAsyncResult *result,
                   gpointer      data)
{
  Check *c = data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GSocketConnection) conn = g_socket_client_connect_to_host_finish (G_SOCKET_CLIENT (source),
                                                                              result, &error);
  g_autofree char *summary = NULL;

  if (conn != NULL)
    {
      g_autoptr(GSocketAddress) remote = g_socket_connection_get_remote_address (conn, NULL);
      g_autofree char *address = remote != NULL && G_IS_INET_SOCKET_ADDRESS (remote)
        ? g_inet_address_to_string (g_inet_socket_address_get_address (G_INET_SOCKET_ADDRESS (remote))) : NULL;

      g_io_stream_close (G_IO_STREAM (conn), NULL, NULL);
      summary = g_strdup_printf (_("Port %u accepts connections (%u ms)"), c->port, elapsed_ms (c));
      finish_simple (c, ESPY_CHECK_STATUS_PASS, summary, address, NULL, NULL);
    }
  else
    {
      const char *code = io_code (error);

      if (g_str_equal (code, "connection-refused"))
        summary = g_strdup_printf (_("Nothing listens on port %u (connection refused)"), c->port);
      else if (g_str_equal (code, "unreachable"))
        summary = g_strdup_printf (_("No route to the device (%s)"), error->message);
      else
        summary = g_strdup_printf (_("Port %u: %s"), c->port, error->message);
      finish_simple (c, ESPY_CHECK_STATUS_FAIL, summary, NULL, "io", code);
    }
  check_unref (c);
}

static void
start_port (Run         *run,
            EspyCheckId  id,
            guint16      port)
{
  EspyDeviceChecks *self = run->self;
  Check *c = check_new (run, id, self->timeout_ms);
  g_autoptr(GSocketClient) client = NULL;

  c->port = port;
  if (port == 0)
    {
      finish_simple (c, ESPY_CHECK_STATUS_SKIPPED, _("No web server known for this device"), NULL, NULL, NULL);
      return;
    }
  client = g_socket_client_new ();
  g_socket_client_set_enable_proxy (client, FALSE);
  g_socket_client_connect_to_host_async (client, self->host, port, c->cancellable, port_connected_cb,
                                         check_ref (c));
}

/* --- OTA handshake ---------------------------------------------------------- */

static void
ota_checked_cb (GObject      *source,
                GAsyncResult *result,
                gpointer      data)
{
  Check *c = data;
  EspyOtaClient *ota = ESPY_OTA_CLIENT (source);
  g_autoptr(GError) error = NULL;
  g_autofree char *summary = NULL;
  guint version = espy_ota_client_get_protocol_version (ota);

  if (espy_ota_client_check_finish (ota, result, &error))
    {
      const char *method = espy_ota_client_get_auth_method (ota);

      if (method != NULL)
        summary = g_strdup_printf (_("The OTA server answers (protocol %u) and accepts the password (%s)"),
                                   version, method);
      else
        summary = g_strdup_printf (_("The OTA server answers (protocol %u); no password is set"), version);
      finish_simple (c, ESPY_CHECK_STATUS_PASS, summary, NULL, NULL, NULL);
    }
  else if (g_error_matches (error, ESPY_OTA_ERROR, ESPY_OTA_ERROR_PASSWORD_REQUIRED))
    {
      /* Up to authentication is what we came for. */
      summary = g_strdup_printf (_("The OTA server answers (protocol %u) and asks for a password; none was given, "
                                   "so it was not checked"), version);
      finish_simple (c, ESPY_CHECK_STATUS_PASS, summary, NULL, "ota", "password-required");
    }
  else
    {
      const char *domain = espy_install_error_domain_nick (error);
      const char *code = espy_install_error_code_nick (error);

      if (g_error_matches (error, ESPY_OTA_ERROR, ESPY_OTA_ERROR_TIMEOUT) &&
          espy_ota_client_get_failed_stage (ota) > ESPY_OTA_STAGE_CONNECT)
        summary = g_strdup_printf (_("Connected, but the device said nothing for %.1f s: another upload may be "
                                     "in progress"), c->run->self->timeout_ms / 1000.0);
      else
        summary = g_strdup (error->message);
      finish_simple (c, ESPY_CHECK_STATUS_FAIL, summary, NULL, domain, code);
    }
  check_unref (c);
}

static void
start_ota_handshake (Run *run)
{
  EspyDeviceChecks *self = run->self;
  /* The client's own timeout decides; ours is only a backstop. */
  Check *c = check_new (run, ESPY_CHECK_OTA_HANDSHAKE, self->timeout_ms + 1000);

  c->ota = espy_ota_client_new (self->host, self->ota_port);
  espy_ota_client_set_password (c->ota, self->ota_password);
  espy_ota_client_set_timeouts (c->ota, self->timeout_ms, self->timeout_ms);
  espy_ota_client_set_retries (c->ota, 0, 0);
  espy_ota_client_check_async (c->ota, c->cancellable, ota_checked_cb, check_ref (c));
}

/* --- API DeviceInfo --------------------------------------------------------- */

static void
api_info_cb (GObject      *source,
             GAsyncResult *result,
             gpointer      data)
{
  Check *c = data;
  g_autoptr(GError) error = NULL;
  g_autoptr(EspyApiDeviceInfo) info = espy_api_client_device_info_finish (ESPY_API_CLIENT (source), result, &error);
  g_autofree char *summary = NULL;

  if (info != NULL)
    {
      summary = g_strdup_printf (_("%s runs ESPHome %s%s%s"), info->name != NULL ? info->name : "?",
                                 info->esphome_version != NULL ? info->esphome_version : "?",
                                 info->compilation_time != NULL ? _(", built ") : "",
                                 info->compilation_time != NULL ? info->compilation_time : "");
      finish_simple (c, ESPY_CHECK_STATUS_PASS, summary, info->esphome_version, NULL, NULL);
    }
  else
    finish_simple (c, ESPY_CHECK_STATUS_FAIL, error->message, NULL, espy_install_error_domain_nick (error),
                   espy_install_error_code_nick (error));
  check_unref (c);
}

static void
api_connected_cb (GObject      *source,
                  GAsyncResult *result,
                  gpointer      data)
{
  Check *c = data;
  g_autoptr(GError) error = NULL;

  if (espy_api_client_connect_finish (ESPY_API_CLIENT (source), result, &error))
    espy_api_client_device_info_async (c->api, c->cancellable, api_info_cb, check_ref (c));
  else
    finish_simple (c, ESPY_CHECK_STATUS_FAIL, error->message, NULL, espy_install_error_domain_nick (error),
                   espy_install_error_code_nick (error));
  check_unref (c);
}

static void
start_api_info (Run *run)
{
  EspyDeviceChecks *self = run->self;
  Check *c = check_new (run, ESPY_CHECK_API_INFO, self->timeout_ms);
  g_autoptr(GError) error = NULL;

  c->api = espy_api_client_new (self->host, self->api_port);
  espy_api_client_set_timeouts (c->api, self->timeout_ms, 0, 0, self->timeout_ms);
  if (self->api_key != NULL && !espy_api_client_set_encryption_key (c->api, self->api_key, &error))
    {
      finish_simple (c, ESPY_CHECK_STATUS_FAIL, error->message, NULL, "api", espy_install_error_code_nick (error));
      return;
    }
  espy_api_client_connect_async (c->api, c->cancellable, api_connected_cb, check_ref (c));
}

/* --- last seen -------------------------------------------------------------- */

static char *
format_ago (gint64 wall_us,
            gint64 now_us)
{
  gint64 s = MAX (now_us - wall_us, 0) / G_USEC_PER_SEC;

  if (s < 60)
    return g_strdup_printf (_("%d s ago"), (int) s);
  if (s < 3600)
    return g_strdup_printf (_("%d min ago"), (int) (s / 60));
  if (s < 86400)
    return g_strdup_printf (_("%d h ago"), (int) (s / 3600));
  return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%d day ago", "%d days ago", (gulong) (s / 86400)),
                          (int) (s / 86400));
}

static void
start_last_seen (Run *run)
{
  EspyDeviceChecks *self = run->self;
  Check *c = check_new (run, ESPY_CHECK_LAST_SEEN, self->timeout_ms);
  static const EspyDeviceSource live[] = {
    ESPY_DEVICE_SOURCE_MDNS, ESPY_DEVICE_SOURCE_API, ESPY_DEVICE_SOURCE_PROBE,
  };
  g_autoptr(GString) s = NULL;
  gint64 now = g_get_real_time (), newest = 0;

  if (self->device == NULL)
    {
      finish_simple (c, ESPY_CHECK_STATUS_SKIPPED, _("Not a known device: no sightings to report"), NULL, NULL, NULL);
      return;
    }
  s = g_string_new (NULL);
  for (gsize i = 0; i < G_N_ELEMENTS (live); i++)
    {
      gint64 mono, wall;
      const char *name = live[i] == ESPY_DEVICE_SOURCE_MDNS ? _("mDNS")
                         : live[i] == ESPY_DEVICE_SOURCE_API ? _("API") : _("port probe");

      if (s->len > 0)
        g_string_append (s, ", ");
      if (espy_device_get_last_seen (self->device, live[i], &mono, &wall) && wall > 0)
        {
          g_autofree char *ago = format_ago (wall, now);

          g_string_append_printf (s, "%s %s", name, ago);
          newest = MAX (newest, wall);
        }
      else
        g_string_append_printf (s, _("%s never"), name);
    }
  /* Seen within the last ten minutes by anything counts as alive. */
  finish_simple (c, newest > 0 && now - newest < 600 * G_USEC_PER_SEC ? ESPY_CHECK_STATUS_PASS : ESPY_CHECK_STATUS_FAIL,
                 s->str, NULL, newest > 0 ? NULL : "io", newest > 0 ? NULL : "not-seen");
}

/* --- running ---------------------------------------------------------------- */

static gboolean
release_idle_cb (gpointer data)
{
  return G_SOURCE_REMOVE;
}

static void
run_cancelled_cb (GCancellable *cancellable,
                  Run          *run)
{
  g_autoptr(GPtrArray) checks = g_ptr_array_new_with_free_func ((GDestroyNotify) check_unref);

  /* The run's last reference must not go inside this handler: freeing it
   * disconnects the handler, which would deadlock. */
  g_idle_add_full (G_PRIORITY_DEFAULT, release_idle_cb, run_ref (run),
                   (GDestroyNotify) run_unref);
  run->cancelled = TRUE;
  /* A copy: finishing the last check empties run->checks. */
  for (guint i = 0; i < run->checks->len; i++)
    g_ptr_array_add (checks, check_ref (g_ptr_array_index (run->checks, i)));
  for (guint i = 0; i < checks->len; i++)
    {
      Check *c = g_ptr_array_index (checks, i);

      if (!c->done)
        finish_simple (c, ESPY_CHECK_STATUS_SKIPPED, _("Cancelled"), NULL, NULL, NULL);
    }
}

static gboolean
cancel_idle_cb (gpointer data)
{
  Run *run = data;

  if (run->pending > 0)
    run_cancelled_cb (NULL, run);
  return G_SOURCE_REMOVE;
}

void
espy_device_checks_run_async (EspyDeviceChecks    *self,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  Run *run;

  g_return_if_fail (ESPY_IS_DEVICE_CHECKS (self));

  run = g_rc_box_new0 (Run);
  run->self = g_object_ref (self);
  run->task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (run->task, espy_device_checks_run_async);
  run->results = g_ptr_array_new_full (ESPY_N_CHECKS, (GDestroyNotify) espy_check_result_free);
  g_ptr_array_set_size (run->results, ESPY_N_CHECKS);
  run->checks = g_ptr_array_new_with_free_func ((GDestroyNotify) check_unref);
  run->pending = ESPY_N_CHECKS;

  /* All at once: the slowest check bounds the whole run. */
  start_mdns (run);
  start_dns (run, ESPY_CHECK_DNS);
  start_dns (run, ESPY_CHECK_SUBNET);
  start_port (run, ESPY_CHECK_OTA_PORT, self->ota_port);
  start_port (run, ESPY_CHECK_API_PORT, self->api_port);
  start_port (run, ESPY_CHECK_WEB_PORT, self->web_port);
  start_ota_handshake (run);
  start_api_info (run);
  start_last_seen (run);

  if (cancellable != NULL)
    {
      /* Already cancelled: finish from an idle, never inside this call. */
      if (g_cancellable_is_cancelled (cancellable))
        g_idle_add_full (G_PRIORITY_DEFAULT, cancel_idle_cb, run_ref (run), (GDestroyNotify) run_unref);
      else
        {
          run->parent = g_object_ref (cancellable);
          run->cancel_id = g_cancellable_connect (cancellable, G_CALLBACK (run_cancelled_cb), run, NULL);
        }
    }
  run_unref (run);  /* each check holds the run */
}

GPtrArray *
espy_device_checks_run_finish (EspyDeviceChecks  *self,
                               GAsyncResult      *result,
                               GError           **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}
