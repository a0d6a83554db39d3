/* test-discovery.c: EspyDiscovery against a real avahi-daemon, fed by
 * EspySimPublisher. Runs inside tests/test-env.sh (private loopback and
 * system bus); elsewhere the daemon tests skip. The daemon-restart test
 * also needs ESPY_TEST_AVAHI_CONF (the sandbox's avahi-daemon config).
 *
 * Copyright 2026 The Espy authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <net/if.h>
#include <signal.h>
#include <string.h>

#include "espy-discovery.h"
#include "espy-sim-publisher.h"

#define UNAVAILABLE_MESSAGE "mDNS is not available: devices can still be added by address"

static gboolean
tick_cb (gpointer user_data)
{
  return G_SOURCE_CONTINUE;
}

/* Iterates the main loop until COND holds or MS pass; fails the test then. */
#define WAIT_UNTIL(cond, ms)                                                  \
  G_STMT_START {                                                              \
    gint64 end_ = g_get_monotonic_time () + (gint64) (ms) * 1000;             \
    guint tick_ = g_timeout_add (10, tick_cb, NULL);                          \
    while (!(cond) && g_get_monotonic_time () < end_)                         \
      g_main_context_iteration (NULL, TRUE);                                  \
    g_source_remove (tick_);                                                  \
    if (!(cond))                                                              \
      g_test_message ("timed out after %d ms waiting for: %s", (int) (ms), #cond); \
    g_assert_true (cond);                                                     \
  } G_STMT_END

static void
spin (guint ms)
{
  gint64 end = g_get_monotonic_time () + (gint64) ms * 1000;
  guint tick = g_timeout_add (10, tick_cb, NULL);

  while (g_get_monotonic_time () < end)
    g_main_context_iteration (NULL, TRUE);
  g_source_remove (tick);
}

/* Avahi answers on the system bus. */
static gboolean
avahi_reachable (void)
{
  g_autoptr(GDBusConnection) bus = NULL;
  g_autoptr(GVariant) reply = NULL;

  if (g_getenv ("DBUS_SYSTEM_BUS_ADDRESS") == NULL)
    return FALSE;
  bus = g_dbus_connection_new_for_address_sync (g_getenv ("DBUS_SYSTEM_BUS_ADDRESS"),
                                                G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT
                                                | G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION,
                                                NULL, NULL, NULL);
  if (bus == NULL)
    return FALSE;
  reply = g_dbus_connection_call_sync (bus, "org.freedesktop.Avahi", "/", "org.freedesktop.Avahi.Server",
                                       "GetState", NULL, G_VARIANT_TYPE ("(i)"),
                                       G_DBUS_CALL_FLAGS_NONE, 2000, NULL, NULL);
  return reply != NULL;
}

static gboolean
skip_without_avahi (void)
{
  if (avahi_reachable ())
    return FALSE;
  g_test_skip ("no avahi-daemon on the system bus (run inside tests/test-env.sh)");
  return TRUE;
}

/* What discovery said, by name. */
typedef struct {
  GHashTable *records;   /* name -> EspyMdnsRecord */
  GHashTable *added;     /* name -> count */
  GPtrArray  *removed;   /* names, in order */
  guint       n_added;
  guint       n_updated;
} Seen;

static void
seen_count (GHashTable *table,
            const char *name)
{
  g_hash_table_insert (table, g_strdup (name),
                       GUINT_TO_POINTER (GPOINTER_TO_UINT (g_hash_table_lookup (table, name)) + 1));
}

static void
on_added (EspyDiscovery  *discovery,
          EspyMdnsRecord *record,
          Seen           *seen)
{
  const char *name = espy_mdns_record_get_name (record);

  g_assert_false (g_hash_table_contains (seen->records, name));
  g_hash_table_insert (seen->records, g_strdup (name), espy_mdns_record_ref (record));
  seen_count (seen->added, name);
  seen->n_added++;
}

static void
on_updated (EspyDiscovery  *discovery,
            EspyMdnsRecord *record,
            Seen           *seen)
{
  const char *name = espy_mdns_record_get_name (record);

  g_assert_true (g_hash_table_contains (seen->records, name));
  g_hash_table_insert (seen->records, g_strdup (name), espy_mdns_record_ref (record));
  seen->n_updated++;
}

static void
on_removed (EspyDiscovery *discovery,
            const char    *name,
            Seen          *seen)
{
  /* Removal only of what was added, once. */
  g_assert_true (g_hash_table_remove (seen->records, name));
  g_ptr_array_add (seen->removed, g_strdup (name));
}

static Seen *
seen_new (EspyDiscovery *discovery)
{
  Seen *seen = g_new0 (Seen, 1);

  seen->records = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                         (GDestroyNotify) espy_mdns_record_unref);
  seen->added = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  seen->removed = g_ptr_array_new_with_free_func (g_free);
  g_signal_connect (discovery, "record-added", G_CALLBACK (on_added), seen);
  g_signal_connect (discovery, "record-updated", G_CALLBACK (on_updated), seen);
  g_signal_connect (discovery, "record-removed", G_CALLBACK (on_removed), seen);
  return seen;
}

static void
seen_free (Seen *seen)
{
  g_hash_table_unref (seen->records);
  g_hash_table_unref (seen->added);
  g_ptr_array_unref (seen->removed);
  g_free (seen);
}

static guint16
free_port (void)
{
  static guint16 next = 20000;

  /* Nothing listens in these tests: ports only need to differ. */
  return next++;
}

typedef struct {
  const char        *name;
  EspySimGeneration  generation;
  const char        *friendly_name;
  const char        *version;
  const char        *mac;
  const char        *platform;
  const char        *board;
  const char        *network;
  gboolean           key_set;
  gboolean           supported;
  const char        *project_name;
  const char        *project_version;
  const char        *package_import_url;
  const char        *config_hash;
  guint16            web_port;
  gboolean           own_host;
} DeviceSpec;

static const DeviceSpec specs[] = {
  { "espy-a", ESPY_SIM_GENERATION_2024_2, "Kitchen Light", "2024.2.1", NULL, "ESP8266", "nodemcuv2",
    "wifi", FALSE, TRUE, NULL, NULL, NULL, NULL, 80, TRUE },
  { "espy-b", ESPY_SIM_GENERATION_2025_10, "Garage Door", "2025.10.3", "AA:BB:CC:00:00:0B", "ESP32",
    "esp32dev", "ethernet", TRUE, TRUE, "acme.garage", "1.4.0", NULL, NULL, 0, TRUE },
  { "espy-c", ESPY_SIM_GENERATION_2025_10, NULL, "2025.10.1", NULL, "RP2040", "rpipicow",
    "wifi", FALSE, TRUE, NULL, NULL, NULL, NULL, 0, TRUE },
  { "espy-d-00110d", ESPY_SIM_GENERATION_2026_1, "Tuya Plug \xe2\x9a\xa1", "2026.1.0", "acbc3200110d",
    "BK7231N", "generic-bk7231n-qfn32-tuya", "thread", FALSE, FALSE, NULL, NULL,
    "github://esphome/firmware/plug.yaml@main", "0badc0de", 0, TRUE },
  { "espy-e", ESPY_SIM_GENERATION_2026_1, "Fallback Host", "2026.1.2", NULL, "ESP32", "esp32-c3-devkitm-1",
    "wifi", TRUE, TRUE, NULL, NULL, NULL, NULL, 8080, FALSE },
};

static EspySimPublisher *
publisher_for (const DeviceSpec *spec,
               guint16           api_port)
{
  EspySimPublisher *publisher = espy_sim_publisher_new (spec->name);

  espy_sim_publisher_set_generation (publisher, spec->generation);
  espy_sim_publisher_set_friendly_name (publisher, spec->friendly_name);
  espy_sim_publisher_set_version (publisher, spec->version);
  if (spec->mac != NULL)
    espy_sim_publisher_set_mac (publisher, spec->mac);
  espy_sim_publisher_set_platform (publisher, spec->platform);
  espy_sim_publisher_set_board (publisher, spec->board);
  espy_sim_publisher_set_network (publisher, spec->network);
  espy_sim_publisher_set_api_encryption (publisher, spec->key_set, spec->supported);
  espy_sim_publisher_set_project (publisher, spec->project_name, spec->project_version);
  espy_sim_publisher_set_package_import_url (publisher, spec->package_import_url);
  espy_sim_publisher_set_config_hash (publisher, spec->config_hash);
  espy_sim_publisher_set_api_port (publisher, api_port);
  espy_sim_publisher_set_web_port (publisher, spec->web_port);
  espy_sim_publisher_set_own_host (publisher, spec->own_host);
  return publisher;
}

/* Does RECORD say exactly what PUBLISHER announces? Logs the first difference. */
static gboolean
record_matches (EspyMdnsRecord   *record,
                EspySimPublisher *publisher,
                guint16           api_port,
                guint16           web_port)
{
  g_auto(GStrv) strings = espy_sim_publisher_dup_txt (publisher);
  g_autoptr(GPtrArray) raw = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  g_autoptr(GHashTable) expected = NULL;

  if (record == NULL)
    return FALSE;
  for (guint i = 0; strings[i] != NULL; i++)
    g_ptr_array_add (raw, g_bytes_new (strings[i], strlen (strings[i])));
  expected = espy_mdns_txt_decode (raw);
  for (guint k = 0; k < ESPY_MDNS_TXT_N_KEYS; k++)
    {
      const char *want = g_hash_table_lookup (expected, espy_mdns_txt_key_to_string (k));
      g_autofree char *want_mac = k == ESPY_MDNS_TXT_MAC ? espy_mdns_normalize_mac (want) : NULL;

      if (g_strcmp0 (espy_mdns_record_get_txt (record, k), want_mac != NULL ? want_mac : want) != 0)
        {
          g_test_message ("%s: %s is \"%s\", want \"%s\"", espy_mdns_record_get_name (record),
                          espy_mdns_txt_key_to_string (k), espy_mdns_record_get_txt (record, k), want);
          return FALSE;
        }
    }
  return espy_mdns_record_get_port (record) == api_port
         && espy_mdns_record_get_web_port (record) == web_port
         && g_strcmp0 (espy_mdns_record_get_host_name (record),
                       espy_sim_publisher_get_host_name (publisher)) == 0;
}

static gboolean
all_established (GPtrArray *publishers)
{
  for (guint i = 0; i < publishers->len; i++)
    if (espy_sim_publisher_get_state (g_ptr_array_index (publishers, i)) != ESPY_SIM_PUBLISHER_STATE_ESTABLISHED)
      return FALSE;
  return TRUE;
}

static void
resolve_host_done (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  char **address = user_data;
  g_autoptr(GError) error = NULL;

  *address = espy_discovery_resolve_host_finish (ESPY_DISCOVERY (source), result, &error);
  g_assert_no_error (error);
}

static void
test_devices (void)
{
  g_autoptr(EspyDiscovery) discovery = NULL;
  g_autoptr(GPtrArray) publishers = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GArray) ports = g_array_new (FALSE, FALSE, sizeof (guint16));
  g_autofree char *address = NULL;
  Seen *seen;
  EspyMdnsRecord *record;
  EspySimPublisher *b;
  guint lo;

  if (skip_without_avahi ())
    return;

  discovery = espy_discovery_new ();
  seen = seen_new (discovery);
  espy_discovery_start (discovery);
  WAIT_UNTIL (espy_discovery_get_state (discovery) == ESPY_DISCOVERY_STATE_RUNNING, 5000);
  g_assert_null (espy_discovery_get_message (discovery));

  for (guint i = 0; i < G_N_ELEMENTS (specs); i++)
    {
      guint16 port = free_port ();
      g_autoptr(GError) error = NULL;
      EspySimPublisher *publisher = publisher_for (&specs[i], port);

      g_array_append_val (ports, port);
      g_ptr_array_add (publishers, publisher);
      g_assert_true (espy_sim_publisher_publish (publisher, &error));
      g_assert_no_error (error);
    }
  WAIT_UNTIL (all_established (publishers), 10000);
  /* espy-e is announced on the daemon's own host (no address record). */
  g_assert_cmpstr (espy_sim_publisher_get_host_name (g_ptr_array_index (publishers, 0)), ==, "espy-a.local");
  g_assert_cmpstr (espy_sim_publisher_get_host_name (g_ptr_array_index (publishers, 4)), !=, "espy-e.local");

  for (guint i = 0; i < G_N_ELEMENTS (specs); i++)
    WAIT_UNTIL (record_matches (g_hash_table_lookup (seen->records, specs[i].name),
                                g_ptr_array_index (publishers, i),
                                g_array_index (ports, guint16, i), specs[i].web_port), 10000);

  /* Every field, spelled out for a few. */
  lo = if_nametoindex ("lo");
  record = g_hash_table_lookup (seen->records, "espy-a");
  g_assert_cmpstr (espy_mdns_record_get_friendly_name (record), ==, "Kitchen Light");
  g_assert_cmpstr (espy_mdns_record_get_version (record), ==, "2024.2.1");
  g_assert_cmpstr (espy_mdns_record_get_platform (record), ==, "ESP8266");
  g_assert_null (espy_mdns_record_get_api_encryption (record));
  g_assert_null (espy_mdns_record_get_api_encryption_supported (record));   /* 2024.2 has no such key */
  g_assert_null (espy_mdns_record_get_config_hash (record));
  g_assert_cmpstr (espy_mdns_record_get_address (record), ==, "127.0.0.1");
  g_assert_cmpuint (espy_mdns_record_get_web_port (record), ==, 80);
  g_assert_cmpint (espy_mdns_record_get_interface (record), ==, (int) lo);
  g_assert_cmpint (espy_mdns_record_get_family (record), ==, G_SOCKET_FAMILY_IPV4);
  g_assert_cmpuint (strlen (espy_mdns_record_get_mac (record)), ==, 12);

  record = g_hash_table_lookup (seen->records, "espy-b");
  g_assert_cmpstr (espy_mdns_record_get_mac (record), ==, "aabbcc00000b");
  g_assert_cmpstr (espy_mdns_record_get_api_encryption (record), ==, ESPY_SIM_NOISE_NAME);
  g_assert_null (espy_mdns_record_get_api_encryption_supported (record));
  g_assert_cmpstr (espy_mdns_record_get_network (record), ==, "ethernet");
  g_assert_cmpstr (espy_mdns_record_get_project_name (record), ==, "acme.garage");
  g_assert_cmpstr (espy_mdns_record_get_project_version (record), ==, "1.4.0");
  g_assert_cmpuint (espy_mdns_record_get_web_port (record), ==, 0);

  record = g_hash_table_lookup (seen->records, "espy-c");
  g_assert_null (espy_mdns_record_get_friendly_name (record));
  g_assert_cmpstr (espy_mdns_record_get_api_encryption_supported (record), ==, ESPY_SIM_NOISE_NAME);

  record = g_hash_table_lookup (seen->records, "espy-d-00110d");
  g_assert_cmpstr (espy_mdns_record_get_friendly_name (record), ==, "Tuya Plug \xe2\x9a\xa1");
  g_assert_cmpstr (espy_mdns_record_get_config_hash (record), ==, "0badc0de");
  g_assert_cmpstr (espy_mdns_record_get_network (record), ==, "thread");
  g_assert_null (espy_mdns_record_get_api_encryption_supported (record));   /* compiled without */
  g_assert_cmpstr (espy_mdns_record_get_package_import_url (record), ==, "github://esphome/firmware/plug.yaml@main");
  {
    g_autofree char *base = espy_mdns_record_dup_base_name (record);
    g_assert_cmpstr (base, ==, "espy-d");
  }

  record = g_hash_table_lookup (seen->records, "espy-e");
  g_assert_cmpstr (espy_mdns_record_get_address (record), ==, "127.0.0.1");
  g_assert_cmpuint (espy_mdns_record_get_web_port (record), ==, 8080);
  g_assert_cmpuint (strlen (espy_mdns_record_get_config_hash (record)), ==, 8);

  /* One record per instance name, whatever avahi reports twice. */
  g_assert_cmpuint (seen->n_added, ==, G_N_ELEMENTS (specs));
  {
    g_autoptr(GPtrArray) records = espy_discovery_dup_records (discovery);
    g_assert_cmpuint (records->len, ==, G_N_ELEMENTS (specs));
    g_assert_cmpstr (espy_mdns_record_get_name (g_ptr_array_index (records, 0)), ==, "espy-a");
    g_assert_true (espy_discovery_lookup (discovery, "espy-c") == g_hash_table_lookup (seen->records, "espy-c"));
    g_assert_null (espy_discovery_lookup (discovery, "nope"));
  }

  /* The device's own host name resolves through Avahi. */
  espy_discovery_resolve_host_async (discovery, "espy-a.local", G_SOCKET_FAMILY_IPV4, NULL,
                                     resolve_host_done, &address);
  WAIT_UNTIL (address != NULL, 5000);
  g_assert_cmpstr (address, ==, "127.0.0.1");

  /* An OTA: the new version arrives as an update of the same record. */
  b = g_ptr_array_index (publishers, 1);
  espy_sim_publisher_set_version (b, "2025.11.0");
  espy_sim_publisher_update (b);
  WAIT_UNTIL (g_strcmp0 (espy_mdns_record_get_version (g_hash_table_lookup (seen->records, "espy-b")),
                         "2025.11.0") == 0, 5000);
  g_assert_true (record_matches (g_hash_table_lookup (seen->records, "espy-b"), b,
                                 g_array_index (ports, guint16, 1), 0));
  g_assert_cmpuint (GPOINTER_TO_UINT (g_hash_table_lookup (seen->added, "espy-b")), ==, 1);

  /* Withdrawn: removed, once. */
  espy_sim_publisher_withdraw (g_ptr_array_index (publishers, 2));
  WAIT_UNTIL (seen->removed->len == 1, 5000);
  g_assert_cmpstr (g_ptr_array_index (seen->removed, 0), ==, "espy-c");
  g_assert_null (espy_discovery_lookup (discovery, "espy-c"));

  /* The web server goes: its port goes from the record. */
  espy_sim_publisher_withdraw (g_ptr_array_index (publishers, 0));
  espy_sim_publisher_set_web_port (g_ptr_array_index (publishers, 0), 0);
  g_assert_true (espy_sim_publisher_publish (g_ptr_array_index (publishers, 0), NULL));
  WAIT_UNTIL (g_hash_table_contains (seen->records, "espy-a")
              && espy_mdns_record_get_web_port (g_hash_table_lookup (seen->records, "espy-a")) == 0, 5000);

  /* Stopping forgets everything, with signals. */
  spin (200);
  espy_discovery_stop (discovery);
  g_assert_cmpuint (g_hash_table_size (seen->records), ==, 0);
  g_assert_cmpint (espy_discovery_get_state (discovery), ==, ESPY_DISCOVERY_STATE_STARTING);
  g_clear_object (&discovery);
  seen_free (seen);
}

static void
test_collision (void)
{
  g_autoptr(EspySimPublisher) first = NULL;
  g_autoptr(EspySimPublisher) second = NULL;

  if (skip_without_avahi ())
    return;

  first = espy_sim_publisher_new ("espy-twin");
  second = espy_sim_publisher_new ("espy-twin");
  espy_sim_publisher_set_api_port (second, 16054);
  g_assert_true (espy_sim_publisher_publish (first, NULL));
  WAIT_UNTIL (espy_sim_publisher_get_state (first) == ESPY_SIM_PUBLISHER_STATE_ESTABLISHED, 10000);
  g_assert_true (espy_sim_publisher_publish (second, NULL));
  /* A real device would rename itself; the simulator reports it instead. */
  WAIT_UNTIL (espy_sim_publisher_get_state (second) == ESPY_SIM_PUBLISHER_STATE_COLLISION, 10000);
  g_assert_nonnull (strstr (espy_sim_publisher_get_message (second), "espy-twin"));
  g_assert_cmpint (espy_sim_publisher_get_state (first), ==, ESPY_SIM_PUBLISHER_STATE_ESTABLISHED);
}

static void
run_avahi (const char *arg)
{
  const char *conf = g_getenv ("ESPY_TEST_AVAHI_CONF");
  const char *start[] = { "avahi-daemon", "-f", conf, "--no-drop-root", "--no-chroot", "--no-rlimits",
                          "-D", NULL };
  const char *kill[] = { "avahi-daemon", "--kill", NULL };
  g_autoptr(GError) error = NULL;
  int status = 0;

  g_spawn_sync (NULL, (char **) (g_strcmp0 (arg, "kill") == 0 ? kill : start), NULL,
                G_SPAWN_SEARCH_PATH, NULL, NULL, NULL, NULL, &status, &error);
  g_assert_no_error (error);
  g_assert_true (g_spawn_check_wait_status (status, NULL));
}

/* Earlier tests' devices may linger in avahi's cache for a second: count ours. */
static guint
count_prefixed (GHashTable *records,
                GPtrArray  *names,
                const char *prefix)
{
  GHashTableIter iter;
  gpointer key;
  guint n = 0;

  if (records != NULL)
    {
      g_hash_table_iter_init (&iter, records);
      while (g_hash_table_iter_next (&iter, &key, NULL))
        n += g_str_has_prefix (key, prefix);
    }
  for (guint i = 0; names != NULL && i < names->len; i++)
    n += g_str_has_prefix (g_ptr_array_index (names, i), prefix);
  return n;
}

static void
test_daemon_restart (void)
{
  g_autoptr(EspyDiscovery) discovery = NULL;
  g_autoptr(GPtrArray) publishers = g_ptr_array_new_with_free_func (g_object_unref);
  Seen *seen;

  if (skip_without_avahi ())
    return;
  if (g_getenv ("ESPY_TEST_AVAHI_CONF") == NULL)
    {
      g_test_skip ("ESPY_TEST_AVAHI_CONF is not set: cannot restart avahi-daemon");
      return;
    }

  discovery = espy_discovery_new ();
  seen = seen_new (discovery);
  espy_discovery_start (discovery);
  for (guint i = 0; i < 3; i++)
    {
      g_autofree char *name = g_strdup_printf ("espy-restart-%u", i);
      EspySimPublisher *publisher = espy_sim_publisher_new (name);

      espy_sim_publisher_set_api_port (publisher, free_port ());
      g_assert_true (espy_sim_publisher_publish (publisher, NULL));
      g_ptr_array_add (publishers, publisher);
    }
  WAIT_UNTIL (count_prefixed (seen->records, NULL, "espy-restart-") == 3, 10000);

  run_avahi ("kill");
  WAIT_UNTIL (espy_discovery_get_state (discovery) == ESPY_DISCOVERY_STATE_UNAVAILABLE, 5000);
  g_assert_cmpstr (espy_discovery_get_message (discovery), ==, UNAVAILABLE_MESSAGE);
  g_assert_cmpuint (g_hash_table_size (seen->records), ==, 0);
  g_assert_cmpuint (count_prefixed (NULL, seen->removed, "espy-restart-"), ==, 3);
  {
    g_autoptr(GPtrArray) records = espy_discovery_dup_records (discovery);
    g_assert_cmpuint (records->len, ==, 0);
  }
  WAIT_UNTIL (espy_sim_publisher_get_state (g_ptr_array_index (publishers, 0)) == ESPY_SIM_PUBLISHER_STATE_WAITING,
              5000);
  /* Nothing comes back while the daemon is away. */
  spin (500);
  g_assert_cmpuint (g_hash_table_size (seen->records), ==, 0);
  g_assert_cmpint (espy_discovery_get_state (discovery), ==, ESPY_DISCOVERY_STATE_UNAVAILABLE);

  run_avahi ("start");
  WAIT_UNTIL (espy_discovery_get_state (discovery) == ESPY_DISCOVERY_STATE_RUNNING, 10000);
  g_assert_null (espy_discovery_get_message (discovery));
  WAIT_UNTIL (all_established (publishers), 10000);
  WAIT_UNTIL (count_prefixed (seen->records, NULL, "espy-restart-") == 3, 10000);
  g_assert_cmpuint (g_hash_table_size (seen->records), ==, 3);

  espy_discovery_stop (discovery);
  g_clear_object (&discovery);
  seen_free (seen);
}

static void
test_no_daemon (void)
{
  if (g_test_subprocess ())
    {
      g_autoptr(EspyDiscovery) discovery = NULL;
      g_autoptr(EspySimPublisher) publisher = espy_sim_publisher_new ("espy-nobody");
      g_autoptr(GError) error = NULL;
      gboolean published;

      /* A bus socket nobody listens on: no bus, no daemon. */
      g_setenv ("DBUS_SYSTEM_BUS_ADDRESS", "unix:path=/nonexistent/espy-test-bus", TRUE);
      discovery = espy_discovery_new ();
      g_assert_cmpint (espy_discovery_get_state (discovery), ==, ESPY_DISCOVERY_STATE_STARTING);
      espy_discovery_start (discovery);
      WAIT_UNTIL (espy_discovery_get_state (discovery) == ESPY_DISCOVERY_STATE_UNAVAILABLE, 5000);
      g_assert_cmpstr (espy_discovery_get_message (discovery), ==, UNAVAILABLE_MESSAGE);
      g_clear_object (&discovery);

      published = espy_sim_publisher_publish (publisher, &error);
      g_test_message ("publish without a bus: %s", error != NULL ? error->message : "waiting");
      g_assert_true (published ? espy_sim_publisher_get_state (publisher) == ESPY_SIM_PUBLISHER_STATE_WAITING
                               : error != NULL);
      return;
    }
  g_test_trap_subprocess (NULL, 20 * G_USEC_PER_SEC, 0);
  g_test_trap_assert_passed ();
}

static void
resolve_host_fails (GObject      *source,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  GError **out = user_data;
  g_autofree char *address = espy_discovery_resolve_host_finish (ESPY_DISCOVERY (source), result, out);

  g_assert_null (address);
}

static void
test_no_daemon_lookup (void)
{
  if (g_test_subprocess ())
    {
      g_autoptr(EspyDiscovery) discovery = espy_discovery_new ();
      GError *error = NULL;

      g_setenv ("DBUS_SYSTEM_BUS_ADDRESS", "unix:path=/nonexistent/espy-test-bus", TRUE);
      espy_discovery_start (discovery);
      espy_discovery_resolve_host_async (discovery, "x.local", G_SOCKET_FAMILY_INVALID, NULL,
                                         resolve_host_fails, &error);
      WAIT_UNTIL (error != NULL, 5000);
      g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_CONNECTED);
      g_assert_cmpstr (error->message, ==, UNAVAILABLE_MESSAGE);
      g_error_free (error);
      return;
    }
  g_test_trap_subprocess (NULL, 20 * G_USEC_PER_SEC, 0);
  g_test_trap_assert_passed ();
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/discovery/no-daemon", test_no_daemon);
  g_test_add_func ("/discovery/no-daemon-lookup", test_no_daemon_lookup);
  g_test_add_func ("/discovery/devices", test_devices);
  g_test_add_func ("/discovery/collision", test_collision);
  g_test_add_func ("/discovery/daemon-restart", test_daemon_restart);
  return g_test_run ();
}
