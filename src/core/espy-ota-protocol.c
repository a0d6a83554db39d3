/* espy-ota-protocol.c
 *
 * Copyright 2026 The Espy authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "espy-ota-protocol.h"

#include <string.h>

const guint8 espy_ota_magic[ESPY_OTA_MAGIC_LEN] = { 0x6C, 0x26, 0xF7, 0x5C, 0x45 };

gsize
espy_ota_hash_hex_len (EspyOtaHash hash)
{
  return hash == ESPY_OTA_HASH_SHA256 ? 64 : 32;
}

char *
espy_ota_auth_response (EspyOtaHash  hash,
                        const char  *password,
                        const char  *nonce,
                        const char  *cnonce)
{
  g_autoptr(GChecksum) checksum = g_checksum_new (hash == ESPY_OTA_HASH_SHA256 ? G_CHECKSUM_SHA256
                                                                               : G_CHECKSUM_MD5);

  g_return_val_if_fail (password != NULL && nonce != NULL && cnonce != NULL, NULL);

  /* The device hashes the hex text of both nonces, not their decoded bytes. */
  g_checksum_update (checksum, (const guchar *) password, strlen (password));
  g_checksum_update (checksum, (const guchar *) nonce, strlen (nonce));
  g_checksum_update (checksum, (const guchar *) cnonce, strlen (cnonce));

  /* GChecksum writes lowercase hex, which every generation accepts. */
  return g_strdup (g_checksum_get_string (checksum));
}

char *
espy_ota_random_nonce (EspyOtaHash hash)
{
  gsize len = espy_ota_hash_hex_len (hash);
  GString *out = g_string_sized_new (len);

  while (out->len < len)
    g_string_append_printf (out, "%08x", g_random_int ());
  g_string_truncate (out, len);
  return g_string_free (out, FALSE);
}

guint
espy_ota_ack_count (gsize size)
{
  return (guint) ((size + ESPY_OTA_BLOCK_SIZE - 1) / ESPY_OTA_BLOCK_SIZE);
}

gboolean
espy_ota_response_is_error (guint8 code)
{
  return (code >= 0x80 && code <= 0x94) || code == 0xFF;
}

static const struct {
  guint8 code;
  const char *nick;
} response_nicks[] = {
  { 0x00, "ok" },
  { 0x01, "request-md5-auth" },
  { 0x02, "request-sha256-auth" },
  { 0x40, "header-ok" },
  { 0x41, "auth-ok" },
  { 0x42, "update-prepare-ok" },
  { 0x43, "bin-md5-ok" },
  { 0x44, "receive-ok" },
  { 0x45, "update-end-ok" },
  { 0x46, "supports-compression" },
  { 0x47, "chunk-ok" },
  { 0x48, "feature-flags" },
  { 0x80, "error-magic" },
  { 0x81, "error-update-prepare" },
  { 0x82, "error-auth-invalid" },
  { 0x83, "error-writing-flash" },
  { 0x84, "error-update-end" },
  { 0x85, "error-invalid-bootstrapping" },
  { 0x86, "error-wrong-current-flash-config" },
  { 0x87, "error-wrong-new-flash-config" },
  { 0x88, "error-esp8266-not-enough-space" },
  { 0x89, "error-esp32-not-enough-space" },
  { 0x8A, "error-no-update-partition" },
  { 0x8B, "error-md5-mismatch" },
  { 0x8C, "error-rp2040-not-enough-space" },
  { 0x8D, "error-signature-invalid" },
  { 0x8E, "error-unsupported-ota-type" },
  { 0x8F, "error-partition-table-verify" },
  { 0x90, "error-partition-table-update" },
  { 0x91, "error-bootloader-verify" },
  { 0x92, "error-bootloader-update" },
  { 0x93, "error-version-downgrade" },
  { 0x94, "error-encryption-required" },
  { 0xFF, "error-unknown" },
};

const char *
espy_ota_response_nick (guint8 code)
{
  for (guint i = 0; i < G_N_ELEMENTS (response_nicks); i++)
    if (response_nicks[i].code == code)
      return response_nicks[i].nick;
  return NULL;
}

guint16
espy_ota_default_port (const char *platform)
{
  if (platform == NULL)
    return 3232;
  if (g_ascii_strcasecmp (platform, "ESP8266") == 0)
    return 8266;
  if (g_ascii_strcasecmp (platform, "RP2040") == 0)
    return 2040;
  if (g_ascii_strncasecmp (platform, "BK72", 4) == 0 ||
      g_ascii_strncasecmp (platform, "RTL87", 5) == 0)
    return 8892;
  if (g_ascii_strncasecmp (platform, "LN882", 5) == 0)
    return 8820;
  if (g_ascii_strcasecmp (platform, "host") == 0)
    return 8082;
  return 3232;
}
