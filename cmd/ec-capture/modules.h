/* ec-capture's modules: one NAME_main per subcommand. */
#ifndef EC_CAPTURE_MODULES_H
#define EC_CAPTURE_MODULES_H

/* `ec-capture tls|openssl|boringssl [options]`; argv[0] is the subcommand. */
int tls_main(int argc, char **argv);

/* Modules on the shared runner (lib/modrun.c); see docs/MODULES.md. */
int bash_main(int argc, char **argv);
int zsh_main(int argc, char **argv);
int mysqld_main(int argc, char **argv);
int postgres_main(int argc, char **argv);
int gnutls_main(int argc, char **argv);
int nss_main(int argc, char **argv);

/* `ec-capture gotls --elfpath BIN | --pid PID [options]`. */
int gotls_main(int argc, char **argv);

#endif
