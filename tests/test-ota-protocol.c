/* test-ota-protocol.c: the pure parts of the native OTA protocol and the
 * error codes every failure maps to.
 *
 * Copyright 2026 The Espy authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <string.h>

#include "espy-ota-error.h"
#include "espy-ota-protocol.h"

/* Vectors computed independently with python3 hashlib:
 *   hashlib.md5(("hunter2" + nonce + cnonce).encode()).hexdigest()
 * and the same with sha256. */
#define MD5_NONCE     "0123456789abcdef0123456789abcdef"
#define MD5_CNONCE    "fedcba9876543210fedcba9876543210"
#define SHA256_NONCE  "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define SHA256_CNONCE "fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210"

static void
test_auth_md5 (void)
{
  g_autofree char *r = espy_ota_auth_response (ESPY_OTA_HASH_MD5, "hunter2", MD5_NONCE, MD5_CNONCE);
  g_autofree char *empty = espy_ota_auth_response (ESPY_OTA_HASH_MD5, "", MD5_NONCE, MD5_CNONCE);
  g_autofree char *utf8 = espy_ota_auth_response (ESPY_OTA_HASH_MD5, "p\xc3\xa4ssw\xc3\xb6rd", MD5_NONCE, MD5_CNONCE);

  g_assert_cmpstr (r, ==, "371f0d826510e3d5d2aa7065fe779443");
  g_assert_cmpstr (empty, ==, "48a21658bef9d4a8de881f6ae5ac4d6f");
  /* The password is hashed as its UTF-8 bytes. */
  g_assert_cmpstr (utf8, ==, "8e0ce661ea13daf5af5f1efcb24b270d");
  g_assert_cmpuint (strlen (r), ==, espy_ota_hash_hex_len (ESPY_OTA_HASH_MD5));
}

static void
test_auth_sha256 (void)
{
  g_autofree char *r = espy_ota_auth_response (ESPY_OTA_HASH_SHA256, "hunter2", SHA256_NONCE, SHA256_CNONCE);

  g_assert_cmpstr (r, ==, "2625d53f8cb0ecc173f121d6800827ec908a581f6fe9660a6da1b05494a05370");
  g_assert_cmpuint (strlen (r), ==, espy_ota_hash_hex_len (ESPY_OTA_HASH_SHA256));
}

static gboolean
is_lower_hex (const char *s)
{
  for (; *s != '\0'; s++)
    if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f')))
      return FALSE;
  return TRUE;
}

static void
test_auth_lowercase (void)
{
  /* 2024 devices compare the ASCII bytes exactly: the answer must be lowercase. */
  for (guint i = 0; i < 50; i++)
    {
      g_autofree char *nonce = espy_ota_random_nonce (ESPY_OTA_HASH_SHA256);
      g_autofree char *cnonce = espy_ota_random_nonce (ESPY_OTA_HASH_SHA256);
      g_autofree char *md5 = espy_ota_auth_response (ESPY_OTA_HASH_MD5, "Secret", nonce, cnonce);
      g_autofree char *sha = espy_ota_auth_response (ESPY_OTA_HASH_SHA256, "Secret", nonce, cnonce);

      g_assert_true (is_lower_hex (md5));
      g_assert_true (is_lower_hex (sha));
    }
}

static void
test_nonce (void)
{
  g_autofree char *first = espy_ota_random_nonce (ESPY_OTA_HASH_MD5);

  g_assert_cmpuint (espy_ota_hash_hex_len (ESPY_OTA_HASH_MD5), ==, 32);
  g_assert_cmpuint (espy_ota_hash_hex_len (ESPY_OTA_HASH_SHA256), ==, 64);

  for (guint i = 0; i < 100; i++)
    {
      g_autofree char *md5 = espy_ota_random_nonce (ESPY_OTA_HASH_MD5);
      g_autofree char *sha = espy_ota_random_nonce (ESPY_OTA_HASH_SHA256);

      g_assert_cmpuint (strlen (md5), ==, 32);
      g_assert_cmpuint (strlen (sha), ==, 64);
      g_assert_true (is_lower_hex (md5));
      g_assert_true (is_lower_hex (sha));
      /* Fresh each time. */
      g_assert_cmpstr (md5, !=, first);
    }
}

static void
test_ack_count (void)
{
  g_assert_cmpuint (ESPY_OTA_BLOCK_SIZE, ==, 8192);
  g_assert_cmpuint (espy_ota_ack_count (0), ==, 0);
  g_assert_cmpuint (espy_ota_ack_count (1), ==, 1);
  g_assert_cmpuint (espy_ota_ack_count (8191), ==, 1);
  g_assert_cmpuint (espy_ota_ack_count (8192), ==, 1);
  g_assert_cmpuint (espy_ota_ack_count (8193), ==, 2);
  g_assert_cmpuint (espy_ota_ack_count (4 * 1024 * 1024), ==, 512);
  g_assert_cmpuint (espy_ota_ack_count (4 * 1024 * 1024 + 1), ==, 513);
  g_assert_cmpuint (espy_ota_ack_count (ESPY_OTA_MAX_IMAGE_SIZE), ==, 2048);
}

static void
test_magic (void)
{
  static const guint8 expected[] = { 0x6C, 0x26, 0xF7, 0x5C, 0x45 };

  g_assert_cmpuint (ESPY_OTA_MAGIC_LEN, ==, sizeof expected);
  g_assert_cmpmem (espy_ota_magic, ESPY_OTA_MAGIC_LEN, expected, sizeof expected);
  g_assert_cmpuint (ESPY_OTA_CLIENT_FEATURES, ==, 0x03);
}

static void
test_is_error (void)
{
  for (guint b = 0; b < 256; b++)
    {
      gboolean expected = (b >= 0x80 && b <= 0x94) || b == 0xFF;

      g_assert_cmpint (espy_ota_response_is_error ((guint8) b), ==, expected);
    }
}

static void
test_response_nick (void)
{
  static const guint8 known[] = {
    0x00, 0x01, 0x02, 0x40, 0x41, 0x42, 0x43, 0x44, 0x45, 0x46, 0x47, 0x48, 0xFF,
  };
  g_autoptr(GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);

  g_assert_cmpstr (espy_ota_response_nick (0x41), ==, "auth-ok");
  g_assert_cmpstr (espy_ota_response_nick (0x8B), ==, "error-md5-mismatch");
  g_assert_cmpstr (espy_ota_response_nick (0x47), ==, "chunk-ok");
  g_assert_null (espy_ota_response_nick (0x03));
  g_assert_null (espy_ota_response_nick (0x49));
  g_assert_null (espy_ota_response_nick (0x95));
  g_assert_null (espy_ota_response_nick (0xFE));

  /* Every code of the table has a distinct nick; errors say so. */
  for (guint i = 0; i < G_N_ELEMENTS (known); i++)
    {
      const char *nick = espy_ota_response_nick (known[i]);

      g_assert_nonnull (nick);
      g_assert_false (g_hash_table_contains (seen, nick));
      g_hash_table_add (seen, (gpointer) nick);
    }
  for (guint b = 0x80; b <= 0x94; b++)
    {
      const char *nick = espy_ota_response_nick ((guint8) b);

      g_assert_nonnull (nick);
      g_assert_true (g_str_has_prefix (nick, "error-"));
      g_assert_false (g_hash_table_contains (seen, nick));
      g_hash_table_add (seen, (gpointer) nick);
    }
}

static void
test_default_port (void)
{
  g_assert_cmpuint (espy_ota_default_port ("ESP32"), ==, 3232);
  g_assert_cmpuint (espy_ota_default_port ("esp32"), ==, 3232);
  g_assert_cmpuint (espy_ota_default_port ("ESP8266"), ==, 8266);
  g_assert_cmpuint (espy_ota_default_port ("RP2040"), ==, 2040);
  g_assert_cmpuint (espy_ota_default_port ("BK72XX"), ==, 8892);
  g_assert_cmpuint (espy_ota_default_port ("BK7231N"), ==, 8892);
  g_assert_cmpuint (espy_ota_default_port ("RTL87XX"), ==, 8892);
  g_assert_cmpuint (espy_ota_default_port ("LN882X"), ==, 8820);
  g_assert_cmpuint (espy_ota_default_port ("host"), ==, 8082);
  g_assert_cmpuint (espy_ota_default_port ("something-else"), ==, 3232);
  g_assert_cmpuint (espy_ota_default_port (NULL), ==, 3232);
}

/* The wire doc's table of device error bytes. */
static const struct {
  guint8 byte;
  EspyOtaError code;
} device_errors[] = {
  { 0x80, ESPY_OTA_ERROR_WRONG_MAGIC },
  { 0x81, ESPY_OTA_ERROR_PREPARE_FAILED },
  { 0x82, ESPY_OTA_ERROR_PASSWORD_REJECTED },
  { 0x83, ESPY_OTA_ERROR_WRITE_FAILED },
  { 0x84, ESPY_OTA_ERROR_END_FAILED },
  { 0x85, ESPY_OTA_ERROR_INVALID_BOOTSTRAPPING },
  { 0x86, ESPY_OTA_ERROR_WRONG_CURRENT_FLASH_CONFIG },
  { 0x87, ESPY_OTA_ERROR_WRONG_NEW_FLASH_CONFIG },
  { 0x88, ESPY_OTA_ERROR_ESP8266_NOT_ENOUGH_SPACE },
  { 0x89, ESPY_OTA_ERROR_ESP32_NOT_ENOUGH_SPACE },
  { 0x8A, ESPY_OTA_ERROR_NO_UPDATE_PARTITION },
  { 0x8B, ESPY_OTA_ERROR_MD5_MISMATCH },
  { 0x8C, ESPY_OTA_ERROR_RP2040_NOT_ENOUGH_SPACE },
  { 0x8D, ESPY_OTA_ERROR_SIGNATURE_INVALID },
  { 0x8E, ESPY_OTA_ERROR_UNSUPPORTED_OTA_TYPE },
  { 0x8F, ESPY_OTA_ERROR_PARTITION_TABLE_VERIFY },
  { 0x90, ESPY_OTA_ERROR_PARTITION_TABLE_UPDATE },
  { 0x91, ESPY_OTA_ERROR_BOOTLOADER_VERIFY },
  { 0x92, ESPY_OTA_ERROR_BOOTLOADER_UPDATE },
  { 0x93, ESPY_OTA_ERROR_DOWNGRADE_REFUSED },
  { 0x94, ESPY_OTA_ERROR_ENCRYPTION_REQUIRED },
  { 0xFF, ESPY_OTA_ERROR_DEVICE_UNKNOWN },
};

static void
test_error_from_response (void)
{
  g_autoptr(GHashTable) codes = g_hash_table_new (NULL, NULL);

  for (guint i = 0; i < G_N_ELEMENTS (device_errors); i++)
    {
      EspyOtaError code = espy_ota_error_from_response (device_errors[i].byte);

      g_assert_cmpint (code, ==, device_errors[i].code);
      g_assert_true (espy_ota_response_is_error (device_errors[i].byte));
      /* Distinct: no two bytes collapse into one code. */
      g_assert_false (g_hash_table_contains (codes, GINT_TO_POINTER (code)));
      g_hash_table_add (codes, GINT_TO_POINTER (code));
    }

  /* Every error byte is in the table. */
  for (guint b = 0; b < 256; b++)
    if (espy_ota_response_is_error ((guint8) b))
      g_assert_cmpint (espy_ota_error_from_response ((guint8) b), !=, ESPY_OTA_ERROR_UNEXPECTED_RESPONSE);

  /* Bytes that are not device errors. */
  g_assert_cmpint (espy_ota_error_from_response (0x00), ==, ESPY_OTA_ERROR_UNEXPECTED_RESPONSE);
  g_assert_cmpint (espy_ota_error_from_response (0x41), ==, ESPY_OTA_ERROR_UNEXPECTED_RESPONSE);
  g_assert_cmpint (espy_ota_error_from_response (0x47), ==, ESPY_OTA_ERROR_UNEXPECTED_RESPONSE);
  g_assert_cmpint (espy_ota_error_from_response (0x95), ==, ESPY_OTA_ERROR_UNEXPECTED_RESPONSE);
  g_assert_cmpint (espy_ota_error_from_response (0xFE), ==, ESPY_OTA_ERROR_UNEXPECTED_RESPONSE);
}

static gboolean
is_kebab (const char *s)
{
  if (*s == '\0' || *s == '-')
    return FALSE;
  for (; *s != '\0'; s++)
    if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '-'))
      return FALSE;
  return s[-1] != '-';
}

static void
test_error_nicks (void)
{
  g_autoptr(GHashTable) nicks = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr(GHashTable) descriptions = g_hash_table_new (g_str_hash, g_str_equal);

  /* Every code, not only the device ones: stable, distinct, explained. */
  for (int code = ESPY_OTA_ERROR_WRONG_MAGIC; code <= ESPY_OTA_ERROR_NETWORK; code++)
    {
      const char *nick = espy_ota_error_to_nick (code);
      const char *description = espy_ota_error_describe (code);

      g_assert_nonnull (nick);
      g_assert_true (is_kebab (nick));
      g_assert_false (g_hash_table_contains (nicks, nick));
      g_hash_table_add (nicks, (gpointer) nick);

      g_assert_nonnull (description);
      g_assert_cmpuint (strlen (description), >, 20);
      g_assert_true (g_str_has_suffix (description, "."));
      g_assert_false (g_hash_table_contains (descriptions, description));
      g_hash_table_add (descriptions, (gpointer) description);
    }

  /* Nicks the CLI's --json contract and scripts rely on. */
  g_assert_cmpstr (espy_ota_error_to_nick (ESPY_OTA_ERROR_PASSWORD_REJECTED), ==, "password-rejected");
  g_assert_cmpstr (espy_ota_error_to_nick (ESPY_OTA_ERROR_PASSWORD_REQUIRED), ==, "password-required");
  g_assert_cmpstr (espy_ota_error_to_nick (ESPY_OTA_ERROR_SHA256_REQUIRED), ==, "sha256-required");
  g_assert_cmpstr (espy_ota_error_to_nick (ESPY_OTA_ERROR_TIMEOUT), ==, "timeout");
  g_assert_cmpstr (espy_ota_error_to_nick (ESPY_OTA_ERROR_CONNECTION_REFUSED), ==, "connection-refused");
  g_assert_cmpstr (espy_ota_error_to_nick (ESPY_OTA_ERROR_ESP8266_NOT_ENOUGH_SPACE), ==, "esp8266-not-enough-space");
  g_assert_cmpstr (espy_ota_error_to_nick (ESPY_OTA_ERROR_INVALID_BOOTSTRAPPING), ==, "invalid-bootstrapping");
  g_assert_cmpstr (espy_ota_error_to_nick (ESPY_OTA_ERROR_CLOSED), ==, "closed");

  /* The descriptions say what to do. */
  g_assert_nonnull (strstr (espy_ota_error_describe (ESPY_OTA_ERROR_INVALID_BOOTSTRAPPING), "reset"));
  g_assert_nonnull (strstr (espy_ota_error_describe (ESPY_OTA_ERROR_PASSWORD_REJECTED), "password"));
  g_assert_nonnull (strstr (espy_ota_error_describe (ESPY_OTA_ERROR_SHA256_REQUIRED), "SHA256"));

  /* Out of range: still a string, never NULL. */
  g_assert_nonnull (espy_ota_error_to_nick (ESPY_OTA_ERROR_NETWORK + 1));
  g_assert_nonnull (espy_ota_error_describe (ESPY_OTA_ERROR_NETWORK + 1));
}

static void
test_error_quark (void)
{
  g_assert_cmpstr (g_quark_to_string (ESPY_OTA_ERROR), ==, "espy-ota-error-quark");
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/ota-protocol/auth/md5", test_auth_md5);
  g_test_add_func ("/ota-protocol/auth/sha256", test_auth_sha256);
  g_test_add_func ("/ota-protocol/auth/lowercase", test_auth_lowercase);
  g_test_add_func ("/ota-protocol/nonce", test_nonce);
  g_test_add_func ("/ota-protocol/ack-count", test_ack_count);
  g_test_add_func ("/ota-protocol/magic", test_magic);
  g_test_add_func ("/ota-protocol/response/is-error", test_is_error);
  g_test_add_func ("/ota-protocol/response/nick", test_response_nick);
  g_test_add_func ("/ota-protocol/default-port", test_default_port);
  g_test_add_func ("/ota-error/from-response", test_error_from_response);
  g_test_add_func ("/ota-error/nicks", test_error_nicks);
  g_test_add_func ("/ota-error/quark", test_error_quark);

  return g_test_run ();
}
