/* test-mdns-txt.c: TXT decoding of `_esphomelib._tcp` records, and the
 * record type around it. Pure: no network, no daemon.
 *
 * Copyright 2026 The Espy authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <string.h>

#include "espy-mdns-record.h"

/* One TXT character-string; LEN -1 = strlen. */
typedef struct {
  const char *data;
  gssize      len;
} Raw;

static GPtrArray *
make_strings (const Raw *raw,
              guint      n)
{
  GPtrArray *strings = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);

  for (guint i = 0; i < n; i++)
    g_ptr_array_add (strings, g_bytes_new (raw[i].data, raw[i].len < 0 ? strlen (raw[i].data)
                                                                        : (gsize) raw[i].len));
  return strings;
}

static EspyMdnsRecord *
record_from (const char *name,
             const Raw  *raw,
             guint       n)
{
  g_autoptr(GPtrArray) strings = make_strings (raw, n);
  g_autoptr(GHashTable) table = espy_mdns_txt_decode (strings);
  EspyMdnsRecord *record = espy_mdns_record_new (name);

  espy_mdns_record_set_txt_table (record, table);
  return record;
}

static void
test_every_key (void)
{
  /* What a 2026.1 device with everything set announces. */
  static const Raw raw[] = {
    { "friendly_name=Living Room Lamp", -1 },
    { "version=2026.1.0", -1 },
    { "mac=acbc32001122", -1 },
    { "platform=ESP32", -1 },
    { "board=esp32dev", -1 },
    { "network=wifi", -1 },
    { "api_encryption=Noise_NNpsk0_25519_ChaChaPoly_SHA256", -1 },
    { "api_encryption_supported=Noise_NNpsk0_25519_ChaChaPoly_SHA256", -1 },
    { "project_name=acme.lamp", -1 },
    { "project_version=1.2.3", -1 },
    { "package_import_url=github://acme/lamp/lamp.yaml@v1", -1 },
    { "config_hash=0badc0de", -1 },
  };
  static const char * const expected[ESPY_MDNS_TXT_N_KEYS] = {
    "Living Room Lamp", "2026.1.0", "acbc32001122", "ESP32", "esp32dev", "wifi",
    "Noise_NNpsk0_25519_ChaChaPoly_SHA256", "Noise_NNpsk0_25519_ChaChaPoly_SHA256",
    "acme.lamp", "1.2.3", "github://acme/lamp/lamp.yaml@v1", "0badc0de",
  };
  g_autoptr(EspyMdnsRecord) record = record_from ("lamp", raw, G_N_ELEMENTS (raw));

  for (guint i = 0; i < ESPY_MDNS_TXT_N_KEYS; i++)
    {
      g_test_message ("key %s", espy_mdns_txt_key_to_string (i));
      g_assert_cmpstr (espy_mdns_record_get_txt (record, i), ==, expected[i]);
    }
  g_assert_cmpstr (espy_mdns_record_get_friendly_name (record), ==, "Living Room Lamp");
  g_assert_cmpstr (espy_mdns_record_get_config_hash (record), ==, "0badc0de");
  g_assert_cmpstr (espy_mdns_txt_key_to_string (ESPY_MDNS_TXT_API_ENCRYPTION_SUPPORTED), ==,
                   "api_encryption_supported");
}

static void
test_minimal (void)
{
  /* 2024.2 without friendly_name or a key: absent keys stay NULL. */
  static const Raw raw[] = {
    { "version=2024.2.0", -1 }, { "mac=acbc32001122", -1 }, { "platform=ESP8266", -1 },
    { "board=nodemcuv2", -1 }, { "network=wifi", -1 },
  };
  g_autoptr(EspyMdnsRecord) record = record_from ("plug", raw, G_N_ELEMENTS (raw));

  g_assert_null (espy_mdns_record_get_friendly_name (record));
  g_assert_null (espy_mdns_record_get_api_encryption (record));
  g_assert_null (espy_mdns_record_get_api_encryption_supported (record));
  g_assert_null (espy_mdns_record_get_config_hash (record));
  g_assert_null (espy_mdns_record_get_project_name (record));
  g_assert_cmpstr (espy_mdns_record_get_platform (record), ==, "ESP8266");
  g_assert_cmpstr (espy_mdns_record_get_board (record), ==, "nodemcuv2");
}

static void
test_empty_input (void)
{
  g_autoptr(GHashTable) none = espy_mdns_txt_decode (NULL);
  g_autoptr(GPtrArray) strings = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  g_autoptr(GHashTable) empty = NULL;
  g_autoptr(EspyMdnsRecord) record = espy_mdns_record_new ("x");

  g_assert_cmpuint (g_hash_table_size (none), ==, 0);
  /* avahi hands a record with no TXT as one empty string (RFC 6763 6.1). */
  g_ptr_array_add (strings, g_bytes_new (NULL, 0));
  g_ptr_array_add (strings, NULL);
  empty = espy_mdns_txt_decode (strings);
  g_assert_cmpuint (g_hash_table_size (empty), ==, 0);
  espy_mdns_record_set_txt_table (record, empty);
  espy_mdns_record_set_txt_table (record, NULL);
  g_assert_null (espy_mdns_record_get_version (record));
}

typedef struct {
  const char *what;
  Raw         raw;
  const char *key;        /* lookup key (lowercase) */
  gboolean    present;
  const char *value;      /* expected value; NULL = present without value */
} DecodeCase;

static void
test_decode_table (void)
{
  static const DecodeCase cases[] = {
    { "plain", { "version=2025.10.1", -1 }, "version", TRUE, "2025.10.1" },
    { "empty value", { "friendly_name=", -1 }, "friendly_name", TRUE, "" },
    { "missing '=' is a boolean key", { "api_encryption", -1 }, "api_encryption", TRUE, NULL },
    { "value with '='", { "package_import_url=a=b=c", -1 }, "package_import_url", TRUE, "a=b=c" },
    { "key case-insensitive", { "Friendly_NAME=Lamp", -1 }, "friendly_name", TRUE, "Lamp" },
    { "value case kept", { "platform=Esp32", -1 }, "platform", TRUE, "Esp32" },
    { "UTF-8 value", { "friendly_name=K\xc3\xbc" "che \xe2\x98\x95", -1 }, "friendly_name", TRUE,
      "K\xc3\xbc" "che \xe2\x98\x95" },
    { "Latin-1 byte", { "friendly_name=K\xfc" "che", -1 }, "friendly_name", TRUE, "K\xef\xbf\xbd" "che" },
    { "lone continuation", { "board=\x80x", -1 }, "board", TRUE, "\xef\xbf\xbdx" },
    { "embedded NUL", { "version=1\0002", 11 }, "version", TRUE, "1\xef\xbf\xbd" "2" },
    /* GLib replaces each byte of a cut-off sequence */
    { "truncated sequence at end", { "friendly_name=ab\xe2\x98", -1 }, "friendly_name", TRUE,
      "ab\xef\xbf\xbd\xef\xbf\xbd" },
    { "empty key skipped", { "=value", -1 }, "", FALSE, NULL },
    { "key with control byte skipped", { "ver\x01sion=1", -1 }, "ver\x01sion", FALSE, NULL },
    { "non-ASCII key skipped", { "n\xc3\xa4me=x", -1 }, "n\xc3\xa4me", FALSE, NULL },
    { "space in key is printable", { "my key=v", -1 }, "my key", TRUE, "v" },
    { "unknown key kept in the table", { "foo=bar", -1 }, "foo", TRUE, "bar" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      const DecodeCase *c = &cases[i];
      g_autoptr(GPtrArray) strings = make_strings (&c->raw, 1);
      g_autoptr(GHashTable) table = espy_mdns_txt_decode (strings);
      gpointer value = NULL;
      gboolean found;

      g_test_message ("case: %s", c->what);
      found = g_hash_table_lookup_extended (table, c->key, NULL, &value);
      g_assert_cmpint (found, ==, c->present);
      g_assert_cmpstr (value, ==, c->value);
      g_assert_cmpuint (g_hash_table_size (table), ==, c->present ? 1 : 0);
      if (value != NULL)
        g_assert_true (g_utf8_validate (value, -1, NULL));
    }
}

static void
test_duplicates (void)
{
  /* RFC 6763 6.4: only the first occurrence of a key counts, any case. */
  static const Raw raw[] = {
    { "version=2025.10.1", -1 },
    { "VERSION=1999.1.1", -1 },
    { "version", -1 },
    { "mac", -1 },
    { "mac=acbc32001122", -1 },
  };
  g_autoptr(EspyMdnsRecord) record = record_from ("dup", raw, G_N_ELEMENTS (raw));

  g_assert_cmpstr (espy_mdns_record_get_version (record), ==, "2025.10.1");
  /* The first "mac" has no value, so the MAC stays unknown. */
  g_assert_null (espy_mdns_record_get_mac (record));
}

static void
test_long_values (void)
{
  g_autoptr(GString) value = g_string_new ("friendly_name=");
  g_autoptr(GString) multibyte = g_string_new ("board=");
  g_autoptr(GPtrArray) strings = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  g_autoptr(GHashTable) table = NULL;
  g_autoptr(GString) huge_key = g_string_new (NULL);
  const char *text;

  for (guint i = 0; i < 4000; i++)
    g_string_append_c (value, 'a' + i % 26);
  /* 254 ASCII bytes then "€" (3 bytes) straddling the 255-byte limit. */
  for (guint i = 0; i < 254; i++)
    g_string_append_c (multibyte, 'x');
  g_string_append (multibyte, "\xe2\x82\xac" "tail");
  for (guint i = 0; i < 70000; i++)
    g_string_append_c (huge_key, 'k');
  g_string_append (huge_key, "=v");

  g_ptr_array_add (strings, g_bytes_new (value->str, value->len));
  g_ptr_array_add (strings, g_bytes_new (multibyte->str, multibyte->len));
  g_ptr_array_add (strings, g_bytes_new (huge_key->str, huge_key->len));
  table = espy_mdns_txt_decode (strings);

  text = g_hash_table_lookup (table, "friendly_name");
  g_assert_cmpuint (strlen (text), ==, ESPY_MDNS_TXT_VALUE_MAX);
  g_assert_true (strncmp (text, value->str + strlen ("friendly_name="), ESPY_MDNS_TXT_VALUE_MAX) == 0);

  /* The cut drops the whole "€" instead of leaving half of it. */
  text = g_hash_table_lookup (table, "board");
  g_assert_cmpuint (strlen (text), ==, 254);
  g_assert_true (g_utf8_validate (text, -1, NULL));

  /* A huge key is still just a key: no crash, no truncation of it. */
  g_assert_cmpuint (g_hash_table_size (table), ==, 3);
}

static void
test_garbage (void)
{
  /* Random bytes must never crash and always give valid UTF-8. */
  GRand *rand = g_rand_new_with_seed (20260101);

  for (guint round = 0; round < 500; round++)
    {
      g_autoptr(GPtrArray) strings = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
      g_autoptr(GHashTable) table = NULL;
      g_autoptr(EspyMdnsRecord) record = espy_mdns_record_new ("garbage");
      guint n = g_rand_int_range (rand, 0, 12);
      GHashTableIter iter;
      gpointer key, value;

      for (guint i = 0; i < n; i++)
        {
          gsize len = g_rand_int_range (rand, 0, 400);
          guint8 *bytes = g_malloc (len + 1);

          for (gsize b = 0; b < len; b++)
            bytes[b] = g_rand_int_range (rand, 0, 256);
          /* Sometimes a real key, so the record setters see garbage values. */
          if (len > 4 && g_rand_boolean (rand))
            memcpy (bytes, "mac=", 4);
          g_ptr_array_add (strings, g_bytes_new_take (bytes, len));
        }
      table = espy_mdns_txt_decode (strings);
      g_hash_table_iter_init (&iter, table);
      while (g_hash_table_iter_next (&iter, &key, &value))
        {
          g_assert_true (g_utf8_validate (key, -1, NULL));
          g_assert_true (value == NULL || g_utf8_validate (value, -1, NULL));
          g_assert_true (value == NULL || strlen (value) <= ESPY_MDNS_TXT_VALUE_MAX * 3);
        }
      espy_mdns_record_set_txt_table (record, table);
      g_assert_true (espy_mdns_record_get_mac (record) == NULL
                     || strlen (espy_mdns_record_get_mac (record)) == 12);
    }
  g_rand_free (rand);
}

static void
test_mac (void)
{
  static const struct { const char *in; const char *out; } cases[] = {
    { "acbc32001122", "acbc32001122" },
    { "ACBC32001122", "acbc32001122" },
    { "AC:BC:32:00:11:22", "acbc32001122" },
    { "ac-bc-32-00-11-22", "acbc32001122" },
    { "ac:bc-32:00:11:22", NULL },       /* mixed separators */
    { "acbc3200112", NULL },             /* 11 digits */
    { "acbc320011223", NULL },           /* 13 digits */
    { "acbc3200112g", NULL },
    { "", NULL },
    { ":acbc32001122", NULL },
    { "acbc32001122:", NULL },
    { "a:cbc32001122", NULL },           /* separator inside a byte */
    { "ac bc 32 00 11 22", NULL },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *mac = espy_mdns_normalize_mac (cases[i].in);
      g_autoptr(EspyMdnsRecord) record = espy_mdns_record_new ("m");
      g_autofree char *txt = g_strconcat ("mac=", cases[i].in, NULL);
      Raw raw = { txt, -1 };
      g_autoptr(GPtrArray) strings = make_strings (&raw, 1);
      g_autoptr(GHashTable) table = espy_mdns_txt_decode (strings);

      g_test_message ("mac %s", cases[i].in);
      g_assert_cmpstr (mac, ==, cases[i].out);
      espy_mdns_record_set_txt_table (record, table);
      g_assert_cmpstr (espy_mdns_record_get_mac (record), ==, cases[i].out);
    }
  g_assert_null (espy_mdns_normalize_mac (NULL));
}

static void
test_mac_suffix_names (void)
{
  static const struct { const char *name; const char *mac; const char *base; } cases[] = {
    { "kitchen-001122", "acbc32001122", "kitchen" },
    { "kitchen-00112A", "acbc3200112a", "kitchen" },     /* any case */
    { "kitchen-light-001122", "acbc32001122", "kitchen-light" },
    { "kitchen-001122", "acbc32aabbcc", "kitchen-001122" },  /* other device's MAC */
    { "kitchen-001122", NULL, "kitchen-001122" },         /* MAC unknown */
    { "kitchen_001122", "acbc32001122", "kitchen_001122" },
    { "-001122", "acbc32001122", "-001122" },            /* nothing left */
    { "001122", "acbc32001122", "001122" },
    { "kitchen", "acbc32001122", "kitchen" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(EspyMdnsRecord) record = espy_mdns_record_new (cases[i].name);
      g_autofree char *base = NULL;

      espy_mdns_record_set_txt (record, ESPY_MDNS_TXT_MAC, cases[i].mac);
      base = espy_mdns_record_dup_base_name (record);
      g_test_message ("name %s", cases[i].name);
      g_assert_cmpstr (base, ==, cases[i].base);
      g_assert_cmpstr (espy_mdns_record_get_name (record), ==, cases[i].name);
    }
}

static void
test_record (void)
{
  g_autoptr(EspyMdnsRecord) record = espy_mdns_record_new ("lamp");
  g_autoptr(EspyMdnsRecord) copy = NULL;
  const char * const *addresses;
  GValue value = G_VALUE_INIT;

  g_assert_null (espy_mdns_record_get_address (record));
  g_assert_null (espy_mdns_record_get_addresses (record)[0]);
  g_assert_cmpint (espy_mdns_record_get_interface (record), ==, -1);
  g_assert_cmpint (espy_mdns_record_get_family (record), ==, G_SOCKET_FAMILY_INVALID);

  espy_mdns_record_set_host_name (record, "lamp.local");
  espy_mdns_record_add_address (record, "fe80::1%lo");
  espy_mdns_record_add_address (record, "127.0.1.20");
  espy_mdns_record_add_address (record, "fd00::20");
  espy_mdns_record_add_address (record, "127.0.1.20");   /* again: ignored */
  espy_mdns_record_add_address (record, "127.0.0.20");
  espy_mdns_record_add_address (record, NULL);
  espy_mdns_record_add_address (record, "");
  espy_mdns_record_set_port (record, 6053);
  espy_mdns_record_set_web_port (record, 80);
  espy_mdns_record_set_interface (record, 1, G_SOCKET_FAMILY_IPV4);
  espy_mdns_record_set_txt (record, ESPY_MDNS_TXT_VERSION, "2025.10.1");

  addresses = espy_mdns_record_get_addresses (record);
  g_assert_cmpuint (g_strv_length ((char **) addresses), ==, 4);
  /* IPv4 first, in the order heard; then IPv6. */
  g_assert_cmpstr (addresses[0], ==, "127.0.1.20");
  g_assert_cmpstr (addresses[1], ==, "127.0.0.20");
  g_assert_cmpstr (addresses[2], ==, "fe80::1%lo");
  g_assert_cmpstr (addresses[3], ==, "fd00::20");
  g_assert_cmpstr (espy_mdns_record_get_address (record), ==, "127.0.1.20");
  g_assert_cmpstr (espy_mdns_record_get_host_name (record), ==, "lamp.local");
  g_assert_cmpuint (espy_mdns_record_get_port (record), ==, 6053);
  g_assert_cmpuint (espy_mdns_record_get_web_port (record), ==, 80);

  copy = espy_mdns_record_copy (record);
  g_assert_true (espy_mdns_record_equal (record, copy));
  g_assert_true (espy_mdns_record_equal (NULL, NULL));
  g_assert_false (espy_mdns_record_equal (record, NULL));
  espy_mdns_record_set_txt (copy, ESPY_MDNS_TXT_VERSION, "2026.1.0");
  g_assert_false (espy_mdns_record_equal (record, copy));
  espy_mdns_record_set_txt (copy, ESPY_MDNS_TXT_VERSION, "2025.10.1");
  g_assert_true (espy_mdns_record_equal (record, copy));
  espy_mdns_record_set_web_port (copy, 8080);
  g_assert_false (espy_mdns_record_equal (record, copy));
  espy_mdns_record_set_web_port (copy, 80);
  espy_mdns_record_clear_addresses (copy);
  g_assert_false (espy_mdns_record_equal (record, copy));
  g_assert_null (espy_mdns_record_get_address (copy));

  /* Boxed: GValue copies take a reference. */
  g_value_init (&value, ESPY_TYPE_MDNS_RECORD);
  g_value_set_boxed (&value, record);
  g_assert_true (g_value_get_boxed (&value) == record);
  g_value_unset (&value);

  /* Setters cut and repair like the decoder. */
  espy_mdns_record_set_txt (record, ESPY_MDNS_TXT_BOARD, "bad\xff");
  g_assert_cmpstr (espy_mdns_record_get_board (record), ==, "bad\xef\xbf\xbd");
  espy_mdns_record_set_txt (record, ESPY_MDNS_TXT_MAC, "not a mac");
  g_assert_null (espy_mdns_record_get_mac (record));
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/mdns-txt/every-key", test_every_key);
  g_test_add_func ("/mdns-txt/minimal", test_minimal);
  g_test_add_func ("/mdns-txt/empty", test_empty_input);
  g_test_add_func ("/mdns-txt/decode-table", test_decode_table);
  g_test_add_func ("/mdns-txt/duplicates", test_duplicates);
  g_test_add_func ("/mdns-txt/long-values", test_long_values);
  g_test_add_func ("/mdns-txt/garbage", test_garbage);
  g_test_add_func ("/mdns-txt/mac", test_mac);
  g_test_add_func ("/mdns-txt/mac-suffix-names", test_mac_suffix_names);
  g_test_add_func ("/mdns-record/basics", test_record);
  return g_test_run ();
}
