/* espy-firmware-image.h: a firmware file checked before a single byte of it
 * leaves the computer, plus the digests and the gzip form the OTA needs.
 *
 * Copyright 2026 The Espy authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define ESPY_FIRMWARE_ERROR (espy_firmware_error_quark ())

typedef enum {
  ESPY_FIRMWARE_ERROR_READ,          /* the file could not be read */
  ESPY_FIRMWARE_ERROR_EMPTY,         /* zero bytes */
  ESPY_FIRMWARE_ERROR_TOO_LARGE,     /* larger than any device's flash */
  ESPY_FIRMWARE_ERROR_NOT_FIRMWARE,  /* no ESP app magic, gzip or UF2 header */
  ESPY_FIRMWARE_ERROR_FACTORY_IMAGE, /* a serial-flash factory image (partition table at 0x8000) */
  ESPY_FIRMWARE_ERROR_COMPRESS,      /* zlib failed */
} EspyFirmwareError;

typedef enum {
  ESPY_FIRMWARE_KIND_ESP_APP,  /* starts with 0xE9 */
  ESPY_FIRMWARE_KIND_GZIP,     /* 1F 8B: already compressed */
  ESPY_FIRMWARE_KIND_UF2,      /* LibreTiny / RP2040 UF2 container */
} EspyFirmwareKind;

#define ESPY_TYPE_FIRMWARE_IMAGE (espy_firmware_image_get_type ())
G_DECLARE_FINAL_TYPE (EspyFirmwareImage, espy_firmware_image, ESPY, FIRMWARE_IMAGE, GObject)

GQuark             espy_firmware_error_quark            (void);

/* Checks BYTES and wraps them; NAME is what messages call the file. */
EspyFirmwareImage *espy_firmware_image_new_from_bytes   (GBytes               *bytes,
                                                         const char           *name,
                                                         GError              **error);
/* Reads and checks FILE in a worker thread. */
void               espy_firmware_image_load_async       (GFile                *file,
                                                         GCancellable         *cancellable,
                                                         GAsyncReadyCallback   callback,
                                                         gpointer              user_data);
EspyFirmwareImage *espy_firmware_image_load_finish      (GAsyncResult         *result,
                                                         GError              **error);
/* The same, blocking: for the CLI and tests. */
EspyFirmwareImage *espy_firmware_image_load             (GFile                *file,
                                                         GCancellable         *cancellable,
                                                         GError              **error);

const char        *espy_firmware_image_get_name         (EspyFirmwareImage    *self);
EspyFirmwareKind   espy_firmware_image_get_kind         (EspyFirmwareImage    *self);
GBytes            *espy_firmware_image_get_bytes        (EspyFirmwareImage    *self);
gsize              espy_firmware_image_get_size         (EspyFirmwareImage    *self);
/* Lowercase hex MD5 of the raw image. */
const char        *espy_firmware_image_get_md5          (EspyFirmwareImage    *self);

/* The whole image gzip-compressed at level 9 (computed once, in a worker
 * thread, then cached). An image that already is gzip is returned as is. */
void               espy_firmware_image_compress_async   (EspyFirmwareImage    *self,
                                                         GCancellable         *cancellable,
                                                         GAsyncReadyCallback   callback,
                                                         gpointer              user_data);
GBytes            *espy_firmware_image_compress_finish  (EspyFirmwareImage    *self,
                                                         GAsyncResult         *result,
                                                         GError              **error);

/* The same, blocking (in the calling thread): for the CLI, tests and the
 * simulator. Shares the cache with compress_async. */
GBytes            *espy_firmware_image_compress         (EspyFirmwareImage    *self,
                                                         GCancellable         *cancellable,
                                                         GError              **error);

/* Lowercase hex MD5 of any bytes: the digest the OTA sends for its payload. */
char              *espy_md5_hex                         (GBytes               *bytes);

G_END_DECLS
