/* ui-test-util.h: what the UI tests share: running the main loop for a
 * while or until something holds, finding widgets, screenshots to
 * $ESPY_SCREENSHOTS_DIR and the set-up of the process and of the demo
 * window. Compiled into each UI test (tests/meson.build).
 *
 * Copyright 2026 The Espy authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

#include "espy-application.h"
#include "espy-window.h"

G_BEGIN_DECLS

/* --- the main loop ---------------------------------------------------------- */

/* Runs the default main context for @ms milliseconds. */
void        ui_test_spin            (guint       ms);
/* Runs it until @cond (@data) holds or @timeout_ms pass; the last @cond. */
gboolean    ui_test_wait_until      (gboolean  (*cond) (gpointer),
                                     gpointer    data,
                                     guint       timeout_ms);
/* A condition for ui_test_wait_until(): the gboolean that @data points to. */
gboolean    ui_test_flag_set        (gpointer    data);
/* Lets layout, transitions and a frame of @widget's window happen:
 * @ms of main loop, then one painted frame (at most 2 s). */
void        ui_test_settle          (GtkWidget  *widget,
                                     guint       ms);

/* --- finding widgets -------------------------------------------------------- */

/* Appends @widget and every widget below it that is a @type, depth first. */
void        ui_test_collect         (GtkWidget  *widget,
                                     GType       type,
                                     GPtrArray  *out);
/* The first @type at or below @widget, depth first, or NULL. */
GtkWidget  *ui_test_find_type       (GtkWidget  *widget,
                                     GType       type);
/* The first drawable label at or below @widget whose text contains @text. */
GtkWidget  *ui_test_find_label      (GtkWidget  *widget,
                                     const char *text);
/* Appends the visible device cards (bound to a device) below @widget. */
void        ui_test_collect_cards   (GtkWidget  *widget,
                                     GPtrArray  *cards);
/* The visible card below @widget whose device shows @title, or NULL. */
GtkWidget  *ui_test_find_card       (GtkWidget  *widget,
                                     const char *title);

/* --- screenshots ------------------------------------------------------------ */

/* Renders @widget as $ESPY_SCREENSHOTS_DIR/@name.png when that is set. */
void        ui_test_screenshot      (GtkWidget  *widget,
                                     const char *name);
/* The same for the content of the AdwWindow @window: without the shadow
 * its own snapshot would add. */
void        ui_test_screenshot_content (GtkWidget  *window,
                                        const char *name);

/* --- set-up ----------------------------------------------------------------- */

/* g_test_init() for a test of single widgets: cairo rendering, no
 * accessibility bus, no portal, GTK and libadwaita initialised. FALSE
 * without a display, after printing a TAP plan that skips: main() then
 * returns 0. */
gboolean    ui_test_init            (int        *argc,
                                     char     ***argv);
/* The environment of a test of the whole application, before
 * g_test_init(): cairo rendering, settings in memory, no proxy look-up,
 * no accessibility bus, the build tree's compiled schema when there is one. */
void        ui_test_app_env         (void);
/* Starts the application in demo mode (in-process, no D-Bus name) and
 * returns its window; after gtk_init_check(). */
EspyWindow *ui_test_demo_start      (EspyApplication **app);
/* Closes @window and quits and frees *@app. */
void        ui_test_demo_stop       (EspyWindow       *window,
                                     EspyApplication **app);

G_END_DECLS
