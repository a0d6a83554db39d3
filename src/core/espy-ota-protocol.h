/* espy-ota-protocol.h: the constants of ESPHome's native OTA protocol and the
 * few pure functions both ends of it need (client and simulated device).
 *
 * Copyright 2026 The Espy authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define ESPY_OTA_MAGIC_LEN 5
/* 6C 26 F7 5C 45 */
extern const guint8 espy_ota_magic[ESPY_OTA_MAGIC_LEN];

/* Bytes the device sends (wire doc, "Response codes"). */
typedef enum {
  ESPY_OTA_RESPONSE_OK                        = 0x00,
  ESPY_OTA_RESPONSE_REQUEST_AUTH              = 0x01,
  ESPY_OTA_RESPONSE_REQUEST_SHA256_AUTH       = 0x02,
  ESPY_OTA_RESPONSE_HEADER_OK                 = 0x40,
  ESPY_OTA_RESPONSE_AUTH_OK                   = 0x41,
  ESPY_OTA_RESPONSE_UPDATE_PREPARE_OK         = 0x42,
  ESPY_OTA_RESPONSE_BIN_MD5_OK                = 0x43,
  ESPY_OTA_RESPONSE_RECEIVE_OK                = 0x44,
  ESPY_OTA_RESPONSE_UPDATE_END_OK             = 0x45,
  ESPY_OTA_RESPONSE_SUPPORTS_COMPRESSION      = 0x46,
  ESPY_OTA_RESPONSE_CHUNK_OK                  = 0x47,
  ESPY_OTA_RESPONSE_FEATURE_FLAGS             = 0x48,
  ESPY_OTA_RESPONSE_ERROR_MAGIC               = 0x80,
  ESPY_OTA_RESPONSE_ERROR_UPDATE_PREPARE      = 0x81,
  ESPY_OTA_RESPONSE_ERROR_AUTH_INVALID        = 0x82,
  ESPY_OTA_RESPONSE_ERROR_WRITING_FLASH       = 0x83,
  ESPY_OTA_RESPONSE_ERROR_UPDATE_END          = 0x84,
  ESPY_OTA_RESPONSE_ERROR_INVALID_BOOTSTRAPPING = 0x85,
  ESPY_OTA_RESPONSE_ERROR_WRONG_CURRENT_FLASH_CONFIG = 0x86,
  ESPY_OTA_RESPONSE_ERROR_WRONG_NEW_FLASH_CONFIG = 0x87,
  ESPY_OTA_RESPONSE_ERROR_ESP8266_NOT_ENOUGH_SPACE = 0x88,
  ESPY_OTA_RESPONSE_ERROR_ESP32_NOT_ENOUGH_SPACE = 0x89,
  ESPY_OTA_RESPONSE_ERROR_NO_UPDATE_PARTITION = 0x8A,
  ESPY_OTA_RESPONSE_ERROR_MD5_MISMATCH        = 0x8B,
  ESPY_OTA_RESPONSE_ERROR_RP2040_NOT_ENOUGH_SPACE = 0x8C,
  ESPY_OTA_RESPONSE_ERROR_SIGNATURE_INVALID   = 0x8D,
  ESPY_OTA_RESPONSE_ERROR_UNSUPPORTED_OTA_TYPE = 0x8E,
  ESPY_OTA_RESPONSE_ERROR_PARTITION_TABLE_VERIFY = 0x8F,
  ESPY_OTA_RESPONSE_ERROR_PARTITION_TABLE_UPDATE = 0x90,
  ESPY_OTA_RESPONSE_ERROR_BOOTLOADER_VERIFY   = 0x91,
  ESPY_OTA_RESPONSE_ERROR_BOOTLOADER_UPDATE   = 0x92,
  ESPY_OTA_RESPONSE_ERROR_VERSION_DOWNGRADE   = 0x93,
  ESPY_OTA_RESPONSE_ERROR_ENCRYPTION_REQUIRED = 0x94,
  ESPY_OTA_RESPONSE_ERROR_UNKNOWN             = 0xFF,
} EspyOtaResponse;

/* Client feature flags (step 3) */
#define ESPY_OTA_FEATURE_COMPRESSION 0x01
#define ESPY_OTA_FEATURE_SHA256_AUTH 0x02
#define ESPY_OTA_FEATURE_EXTENDED    0x04
#define ESPY_OTA_FEATURE_NOISE       0x08
/* What Espy sends: it implements compression and SHA256, nothing else. */
#define ESPY_OTA_CLIENT_FEATURES (ESPY_OTA_FEATURE_COMPRESSION | ESPY_OTA_FEATURE_SHA256_AUTH)

#define ESPY_OTA_BLOCK_SIZE 8192
/* The largest image Espy will send: the biggest ESP32 flash is 16 MiB. */
#define ESPY_OTA_MAX_IMAGE_SIZE (16u * 1024u * 1024u)

typedef enum {
  ESPY_OTA_HASH_MD5,
  ESPY_OTA_HASH_SHA256,
} EspyOtaHash;

/* Number of hex characters of a nonce / response for HASH (32 or 64). */
gsize    espy_ota_hash_hex_len      (EspyOtaHash  hash);

/* hex(H(password || nonce || cnonce)) in lowercase: the hex TEXT of the
 * nonces is hashed, as the device does. */
char    *espy_ota_auth_response     (EspyOtaHash  hash,
                                     const char  *password,
                                     const char  *nonce,
                                     const char  *cnonce);

/* A fresh random nonce of HASH's hex length, lowercase. */
char    *espy_ota_random_nonce      (EspyOtaHash  hash);

/* ceil(size / 8192): how many 0x47 a version 2 device sends for SIZE bytes. */
guint    espy_ota_ack_count         (gsize        size);

/* TRUE for bytes that are device error codes (0x80..0x94, 0xFF). */
gboolean espy_ota_response_is_error (guint8       code);

/* A short name for a response byte ("auth-ok", "error-md5-mismatch", ...),
 * or NULL when the byte is not a known code. */
const char *espy_ota_response_nick  (guint8       code);

/* Default OTA port for a platform name as mDNS/YAML write it (ESP32, ESP8266,
 * RP2040, BK72XX, BK7231N, RTL87XX, LN882X, host); 3232 when unknown. */
guint16  espy_ota_default_port      (const char  *platform);

G_END_DECLS
