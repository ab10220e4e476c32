4"0ec-gen: seed=1 conns=8 (generated, not captured)·"¯CLIENT_RANDOM 3e3f404142434445464748494a4b4c4d4e4f505152535455565758595a5b5c5d 3e3f404142434445464748494a4b4c4d4e4f505152535455565758595a5b5c5d3e3f404142434445464748494a4b4c4d€·²›äÅ†ù×Ú¾8485_8487_node_6_2::1 çş*::10ûA8¥BBnodePàZàPOST /index.html HTTP/1.1
Host: ::1:8443
User-Agent: node/8.1
Accept: */*
Content-Type: application/json
Content-Length: 282
Connection: close

dn  dritelgqem ee cidmpi odmlosoanuieduennate  iotceigse  d  onum stcaitoooduroairurmsrsl smctb  alpl otp eitiuleraa di tdn  dritelgqem ee cidmpi odmlosoanuieduennate  iotceigse  d  onum stcaitoooduro€ˆ§B˜è ¨¢¥·Æ†ù×Ú¾8485_8487_node_6_2::1 çş*::10ûA8¥BBnodePJZJairurmsrsl smctb  alpl otp eitiuleraa di tdn  dritelgqem ee cidmpi odmloso€ˆ§B˜è ¨À_[–ÖÆ†ù×Ú¾8485_8487_node_6_2::1 çş*::10ûA8¥BBnodePZanuiedue€ˆ§B˜è ¨À·"¯CLIENT_RANDOM 1f202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e 1f202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e1f202122232425262728292a2b2c2d2e€Ä¿ì•Ç†ù×Ú¾3465_3466_python3_33_2	127.0.0.1 ÈÂ*
127.0.1.460ûA8‰Bpython3P[Z[GET /api/v1/items HTTP/1.1
Host: 127.0.1.46:8443
User-Agent: python3/8.1
Accept: */*

€ˆŠ˜è !¨·"¯CLIENT_RANDOM 5d5e5f606162636465666768696a6b6c6d6e6f707172737475767778797a7b7c 5d5e5f606162636465666768696a6b6c6d6e6f707172737475767778797a7b7c5d5e5f606162636465666768696a6b6c€{wœ¸É†ù×Ú¾29881_29883_node_7_2	127.0.0.1 ˜©*
127.0.1.190ûA8¹éBnodePZPOST /api/v1/items HTTP/1.€ˆ»é ¨·²æáË†ù×Ú¾8485_8487_node_6_1::1 çş*::10ûA8¥BBnodePàZàHTTP/1.1 200 OK
Server: gen
Content-Type: text/html
Content-Length: 1553

dmlosoanuieduennate  iotceigse  d  onum stcaitoooduroairurmsrsl smctb  alpl otp eitiuleraa di tdn  dritelgqem ee cidmpi odmlosoanuieduennate  iotceigse  d  onum stcaitoooduroairurmsrsl smctb  alpl otp eitiuleraa di tdn  dritelgqem ee cidmpi odmlosoanuieduennate  iotceigse  d  onum stcaitoooduroairurmsrsl smctb  alpl otp eitiuleraa di tdn  dritelgqem ee cidmpi odmlosoanuieduennate  iotceigse  d  onum stcaitoooduroairurmsrsl smctb  alpl otp eitiuleraa di tdn  dritelgqem ee cidmpi odmlosoanuieduennate  iotceigse  d  onum stcaitoooduroairurmsrsl smctb  alpl otp eitiuleraa di tdn  dritelgqem ee cidmpi odmlosoanuieduennate  iotceigse  d  onum stcaitoooduroairurmsrsl smctb  alpl otp eitiuleraa di tdn  dritelgqem ee cidmpi odmlosoanuieduennate  iotceigse  d  onum stcaitoooduroairurmsrsl smctb  alpl otp eitiuleraa di tdn  dritelgqem ee cidmpi odmlosoanuieduennate  iotceigse  d  onum stcaitoooduroairurmsrsl smctb  alpl otp eitiuleraa di tdn  dritelgqem ee cidmpi odmlosoanuieduennate  iotceigse  d  onum stcaitoooduroairurmsrsl smctb  alpl otp eitiuleraa di tdn  dritelgqem ee cidmpi odmlosoanuieduennate  iotceigse  d  onum stcaitoooduroairurmsrsl smctb  alpl otp eitiuleraa di tdn  dritelgqem ee cidmpi odmlosoanuieduennate  iotceigse  d  onum stcaitoooduroairurmsrsl smctb  alpl otp eitiuleraa di tdn  dritelgqem ee cidmpi odmlosoanuieduennate  iotceigse  d  onum stcaitoooduroairurmsrsl smctb  alpl otp eitiuleraa di tdn  dritelgqem ee cidmpi odmlosoanuieduennate  iotceigse  d  onum stcaitoooduroairurmsrsl smctb  alpl otp eitiuleraa di tdn  dr€ˆ§B˜è ¨PLÿÙÎ†ù×Ú¾8485_8487_node_6_0::1 çş*::10ûA8¥BBnode€§B˜è ¨ÈÄ¿ÂãÎ†ù×Ú¾29881_29883_node_7_2	127.0.0.1 ˜©*
127.0.1.190ûA8¹éBnodePİZİ1
Host: 127.0.1.19:8443
User-Agent: node/8.1
Accept: */*
Content-Type: application/json
Content-Length: 233

aa di tdn  dritelgqem ee cidmpi odmlosoanuieduennate  iotceigse  d  onum stcaitoooduroairurmsrsl smctb  alpl otp eitiuleraa di tdn  dritelgqem ee cidmpi odmlosoanuieduennate  iotceigse  d  onum stcaitoooduroairurmsrsl smctb  alpl otp€ˆ»é ¨ÀêåøñÏ†ù×Ú¾29881_29883_node_7_1	127.0.0.1 ˜©*
127.0.1.190ûA8¹éBnodeP†Z†HTTP/1.1 200 OK
Server: gen
Content-Type: text/html
Transfer-Encoding: chunked

290
l smctb  alpl otp eitiuleraa di tdn  dritelgqem ee cidmpi odmlosoanuieduennate  iotceigse  d  onum stcaitoooduroairurmsrsl smctb  alpl otp eitiuleraa di tdn  dritelgqem ee cidmpi odmlosoanuieduennate  iotceigse  d  onum stcaitoooduroairurmsrsl smctb  alpl otp eitiuleraa di tdn  dritelgqem ee cidmpi odmlosoanuieduennate  iotceigse  d  onum stcaitoooduroairurmsrsl smctb  alpl otp eitiuleraa di tdn  dritelgqem ee cidmpi odmlosoanuieduennate  iotceigse  d  onum stcaitoooduroairurmsrsl smctb  alpl otp eitiuleraa di tdn  dritelgqem ee cidmpi odmlosoanuieduennate  iotceigse  d  onum stcaitoooduroairurmsrsl smctb  alpl otp eitiuleraa di tdn  dritelgqem ee 
2e4
l otp eitiuleraa di tdn  dritelgqem ee cidmpi odmlosoanuieduennate  iotceigse  d  onum stcaitoooduroairurmsrsl smctb  alpl otp eitiuleraa di tdn  dritelgqem ee cidmpi odmlosoanuieduennate  iotceigse  d  onum stcaitoooduroairurmsrsl smctb  alpl otp eitiuleraa di tdn  dritelgqem ee cidmpi odmlosoanuieduennate  iotceigse  d  onum stcaitoooduroairurmsrsl smctb  alpl otp eitiuleraa di tdn  dritelgqem ee cidmpi odmlosoanuieduennate  iotceigse  d  onum stcaitoooduroairurmsrsl smctb  alpl otp eitiuleraa di tdn  dritelgqem ee cidmpi odmlosoanuieduennate  iotceigse  d  onum stcaitoooduroairurmsrsl smctb  alpl otp eitiuleraa di tdn  dritelgqem ee cidmpi odmlosoanuieduennate  iotceigse  d  onum stcaitoooduroairurmsrsl smctb  alpl otp eitiuler
34
idmpi odmlosoanuieduennate  iotceigse  d  onum stcai
9
urmsrsl s
3e
e  d  onum stcaitoooduroairurmsrsl smctb  alpl otp eitiuleraa 
c
di tdn  drit
1
o
2
ru
0

€ˆ»é ¨½¸’¦Ò†ù×Ú¾29881_29883_node_7_2	127.0.0.1 ˜©*
127.0.1.190ûA8¹éBnodePXZXGET /api/v1/items HTTP/1.1
Host: 127.0.1.19:8443
User-Agent: node/8.1
Accept: */*

€ˆ»é ¨ÀØÓø³Ó†ù×Ú¾29881_29883_node_7_1	127.0.0.1 ˜©*
127.0.1.190ûA8¹éBnodePñZñHTTP/1.1 200 OK
Server: gen
Content-Type: text/html
Content-Length: 327

nate  iotceigse  d  onum stcaitoooduroairurmsrsl smctb  alpl otp eitiuleraa di tdn  dritelgqem ee cidmpi odmlosoanuieduennate  iotceigse  d  onum stcaitoooduroairurmsrsl smctb  alpl otp eitiuleraa di tdn  dritelgqem ee cidmpi odmlosoanuieduennate  iotceigse  d  onum stcaitoooduroairurmsrsl €ˆ»é ¨À„ÿã×Ô†ù×Ú¾3465_3466_python3_33_1	127.0.0.1 ÈÂ*
127.0.1.460ûA8‰Bpython3P™Z™HTTP/1.1 200 OK
Server: gen
Content-Type: text/html
Content-Length: 1738

sl smctb  alpl otp eitiuleraa di tdn  dritelgqem ee cidmpi odmlosoanuieduennate  iotceigse  d  onum stcaitoooduroairurmsrsl smctb  alpl otp eitiuleraa di tdn  dritelgqem ee cidmpi odmlosoanuieduennate  iotceigse  d  onum stcaitoooduroairurmsrsl smctb  alpl otp eitiuleraa di tdn  dritelgqem ee cidmpi odmlosoanuieduennate  iotceigse  d  onum stcaitoooduroairurmsrsl smctb  alpl otp eitiuleraa di tdn  dritelgqem ee cidmpi odmlosoanuieduennate  iotceigse  d  onum stcaitoooduroairurmsrsl smctb  alpl otp eitiuleraa di tdn  dritelgqem ee cidmpi odmlosoanuieduennate  iotceigse  d  onum stcaitoooduroairurmsrsl smctb  alpl otp eitiuleraa di tdn  dritelgqem ee cidmpi odmlosoanuieduennate  iotceigse  d  onum stcaitoooduroairurmsrsl smctb  alpl otp eitiuleraa di tdn  dritelgqem ee cidmpi odmlosoanuieduennate  iotceigse  d  onum stcaitoooduroairurmsrsl smctb  alpl otp eitiuleraa di tdn  dritelgqem ee cidmpi odmlosoanuieduennate  iotceigse  d  onum stcaitoooduroairurmsrsl smctb  alpl otp eitiuleraa di tdn  dritelgqem ee cidmpi odmlosoanuieduennate  iotceigse  d  onum stcaitoooduroairurmsrsl smctb  alpl otp eitiuleraa di tdn  dritelgqem ee cidmpi odmlosoanuieduennate  iotceigse  d  onum stcaitoooduroairurmsrsl smctb  alpl otp eitiuleraa di tdn  dritelgqem ee cidmpi odmlosoanuieduennate  iotceigse  d  onum stcaitoooduroairurmsrsl smctb  alpl otp eitiuleraa di tdn  dritelgqem ee cidmpi odmlosoanuieduennate  iotceigse  d  onum stcaitoooduroairurmsrsl smctb  alpl otp eitiuleraa di tdn  dritelgqem ee cidmpi odmlosoanuieduennate  iotceigse  d  onum stcaitoooduroairurmsrsl smctb  alpl otp eitiuleraa di tdn  dritelgqem ee cidmpi odmlosoanuieduennate  iotceigse  d  onum stcaitoooduroairurmsrsl smctb  alpl otp eitiuleraa di tdn  dritel€ˆŠ˜è !¨ÓÎÖ†ù×Ú¾3465_3466_python3_33_2	127.0.0.1 ÈÂ*
127.0.1.460ûA8‰Bpython3PgZgGET /login HTTP/1.1
Host: 127.0.1.46:8443
User-Agent: python3/8.1
Accept: */*
Connection: close

€ˆŠ˜è !¨ÀØÓ¾Ï×†ù×Ú¾3465_3466_python3_33_1	127.0.0.1 ÈÂ*
127.0.1.460ûA8‰Bpython3PlZlHTTP/1.1 200 OK
Server: gen
Content-Type: text/html
Transfer-Encoding: chunked

7
pl otp 
1
o
0

€ˆŠ˜è !¨Àd`ŒÿØ†ù×Ú¾3465_3466_python3_33_0	127.0.0.1 ÈÂ*
127.0.1.460ûA8‰Bpython3€Š˜è !¨ÈeaöŒÚ†ù×Ú¾29881_29883_node_7_1	127.0.0.1 ˜©*
127.0.1.190ûA8¹éBnodePZs€ˆ»é ¨Àˆƒá™Û†ù×Ú¾29881_29883_node_7_1	127.0.0.1 ˜©*
127.0.1.190ûA8¹éBnodeP#Z#mctb  alpl otp eitiuleraa di tdn  d€ˆ»é ¨ÀÇÂÜıÜ†ù×Ú¾29881_29883_node_7_2	127.0.0.1 ˜©*
127.0.1.190ûA8¹éBnodePbZbGET /login HTTP/1.1
Host: 127.0.1.19:8443
User-Agent: node/8.1
Accept: */*
Connection: close
€ˆ»é ¨Àfbÿ‹İ†ù×Ú¾29881_29883_node_7_2	127.0.0.1 ˜©*
127.0.1.190ûA8¹éBnodePZ
€ˆ»é ¨ÀÎÉşİ†ù×Ú¾29881_29883_node_7_1	127.0.0.1 ˜©*
127.0.1.190ûA8¹éBnodePiZiHTTP/1.1 200 OK
Server: gen
Content-Type: text/html
Content-Length: 28

otp eitiuleraa di tdn  drite€ˆ»é ¨À]Y‚à†ù×Ú¾29881_29883_node_7_0	127.0.0.1 ˜©*
127.0.1.190ûA8¹éBnode€»é ¨È