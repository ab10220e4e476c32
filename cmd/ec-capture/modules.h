/* SPDX-License-Identifier: GPL-2.0-only */
/* ec-capture's modules: one spec each over the runner (lib/capture/mod.h). */
#ifndef EC_CAPTURE_MODULES_H
#define EC_CAPTURE_MODULES_H

#include "mod.h"

extern const struct ec_mod_spec ec_mod_tls; /* tls, openssl, boringssl */
extern const struct ec_mod_spec ec_mod_auto;
extern const struct ec_mod_spec ec_mod_gotls;
extern const struct ec_mod_spec ec_mod_gnutls;
extern const struct ec_mod_spec ec_mod_nss; /* nss, nspr */
extern const struct ec_mod_spec ec_mod_libtls;
extern const struct ec_mod_spec ec_mod_bash;
extern const struct ec_mod_spec ec_mod_zsh;
extern const struct ec_mod_spec ec_mod_mysqld;
extern const struct ec_mod_spec ec_mod_postgres;
extern const struct ec_mod_spec ec_mod_sock;

#endif
