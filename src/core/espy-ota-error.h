/* espy-ota-error.h: every way an OTA upload can fail, one code each.
 *
 * Copyright 2026 The Espy authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define ESPY_OTA_ERROR (espy_ota_error_quark ())

typedef enum {
  /* Device response codes, one per error byte of the wire doc's table. */
  ESPY_OTA_ERROR_WRONG_MAGIC,                /* 0x80 */
  ESPY_OTA_ERROR_PREPARE_FAILED,             /* 0x81 */
  ESPY_OTA_ERROR_PASSWORD_REJECTED,          /* 0x82 after our answer */
  ESPY_OTA_ERROR_WRITE_FAILED,               /* 0x83 */
  ESPY_OTA_ERROR_END_FAILED,                 /* 0x84 */
  ESPY_OTA_ERROR_INVALID_BOOTSTRAPPING,      /* 0x85 */
  ESPY_OTA_ERROR_WRONG_CURRENT_FLASH_CONFIG, /* 0x86 */
  ESPY_OTA_ERROR_WRONG_NEW_FLASH_CONFIG,     /* 0x87 */
  ESPY_OTA_ERROR_ESP8266_NOT_ENOUGH_SPACE,   /* 0x88 */
  ESPY_OTA_ERROR_ESP32_NOT_ENOUGH_SPACE,     /* 0x89 */
  ESPY_OTA_ERROR_NO_UPDATE_PARTITION,        /* 0x8A */
  ESPY_OTA_ERROR_MD5_MISMATCH,               /* 0x8B */
  ESPY_OTA_ERROR_RP2040_NOT_ENOUGH_SPACE,    /* 0x8C */
  ESPY_OTA_ERROR_SIGNATURE_INVALID,          /* 0x8D */
  ESPY_OTA_ERROR_UNSUPPORTED_OTA_TYPE,       /* 0x8E */
  ESPY_OTA_ERROR_PARTITION_TABLE_VERIFY,     /* 0x8F */
  ESPY_OTA_ERROR_PARTITION_TABLE_UPDATE,     /* 0x90 */
  ESPY_OTA_ERROR_BOOTLOADER_VERIFY,          /* 0x91 */
  ESPY_OTA_ERROR_BOOTLOADER_UPDATE,          /* 0x92 */
  ESPY_OTA_ERROR_DOWNGRADE_REFUSED,          /* 0x93 */
  ESPY_OTA_ERROR_ENCRYPTION_REQUIRED,        /* 0x94 */
  ESPY_OTA_ERROR_DEVICE_UNKNOWN,             /* 0xFF */
  ESPY_OTA_ERROR_SHA256_REQUIRED,            /* 0x82 as the auth byte: 2026.1+ wants SHA256 */

  /* Failures on our side of the wire. */
  ESPY_OTA_ERROR_RESOLVE,                    /* host name did not resolve */
  ESPY_OTA_ERROR_CONNECTION_REFUSED,         /* nothing listens on the OTA port */
  ESPY_OTA_ERROR_UNREACHABLE,                /* no route / host down / other connect failure */
  ESPY_OTA_ERROR_TIMEOUT,                    /* no answer within the stage's timeout */
  ESPY_OTA_ERROR_CLOSED,                     /* closed without answering */
  ESPY_OTA_ERROR_UNEXPECTED_RESPONSE,        /* a byte the protocol does not allow here */
  ESPY_OTA_ERROR_UNSUPPORTED_VERSION,        /* protocol version other than 1 or 2 */
  ESPY_OTA_ERROR_PASSWORD_REQUIRED,          /* device asks for auth, we have no password */
  ESPY_OTA_ERROR_NETWORK,                    /* other socket error mid-exchange */
} EspyOtaError;

GQuark       espy_ota_error_quark           (void);

/* The error code for a device error byte (0x80.., 0xFF); UNEXPECTED_RESPONSE
 * for a byte that is not a device error code. */
EspyOtaError espy_ota_error_from_response   (guint8        code);

/* The network failed (name, connection, timeout, close): worth a retry
 * before data was sent, and a different advice than a device's answer. */
gboolean     espy_ota_error_is_network      (EspyOtaError  code);

/* The device wants a (different) password or auth method. */
gboolean     espy_ota_error_is_auth         (EspyOtaError  code);

/* Stable machine-readable name, e.g. "password-rejected" (CLI --json "code"). */
const char  *espy_ota_error_to_nick         (EspyOtaError  code);

/* One sentence a user understands: what happened and what to do next. */
const char  *espy_ota_error_describe        (EspyOtaError  code);

G_END_DECLS
