4"0ec-gen: seed=3 conns=8 (generated, not captured)·"¯CLIENT_RANDOM 1f202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e 1f202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e1f202122232425262728292a2b2c2d2e€¨£¿ÒÃ†ù×Ú¾20053_20053_python3_12_2::1 ¸¬*::10ûA8ÕœBpython3PHZHGET / HTTP/1.1
Host: ::1:8443
User-Agent: python3/8.1
Accept: */*

€ˆÕœ˜è ¨»¶Î’Æ†ù×Ú¾20053_20053_python3_12_1::1 ¸¬*::10ûA8ÕœBpython3PÙZÙHTTP/1.1 200 OK
Server: gen
Content-Type: text/html
Content-Length: 523

aitoooduroairurmsrsl smctb  alpl otp eitiuleraa di tdn  dritelgqem ee cidmpi odmlosoanuieduennate  iotceigse  d  onum stcaitoooduroairurmsrsl smctb  alpl otp eitiuleraa di tdn  dritelgqem ee cidmpi odmlosoanuieduennate  iotceigse  d  onum stcaitoooduroairurmsrsl smctb  alpl otp eitiuleraa di tdn  dritelgqem ee cidmpi odmlosoanuieduennate  iotceigse  d  onum stcaitoooduroairurmsrsl smctb  alpl otp eitiuleraa di tdn  dritelgqem ee cidmpi odmlosoanuieduennate  iotceigse  d  onum stcaitoooduroairurmsrsl smctb  alpl otp ei€ˆÕœ˜è ¨·"¯CLIENT_RANDOM 3e3f404142434445464748494a4b4c4d4e4f505152535455565758595a5b5c5d 3e3f404142434445464748494a4b4c4d4e4f505152535455565758595a5b5c5d3e3f404142434445464748494a4b4c4d€±¬‚öÇ†ù×Ú¾23562_23563_curl_53_2::1 û*::10»8Š¸BcurlPWZWGET / HTTP/1.1
Host: ::1:443
User-Agent: curl/8.1
Accept: */*
Connection: close

€ˆ‹¸˜è 5¨·"¯CLIENT_RANDOM 5d5e5f606162636465666768696a6b6c6d6e6f707172737475767778797a7b7c 5d5e5f606162636465666768696a6b6c6d6e6f707172737475767778797a7b7c5d5e5f606162636465666768696a6b6c€«¦ÜêÉ†ù×Ú¾30836_30838_wget_42_2::1 øÖ*::10ûA8ôğBwgetPQZQGET /api/v1/items HTTP/1.1
Host: ::1:8443
User-Agent: wget/8.1
Accept: */*

€ˆöğ˜è *¨á	Ü	ºË†ù×Ú¾23562_23563_curl_53_1::1 û*::10»8Š¸BcurlP…	Z…	HTTP/1.1 200 OK
Server: gen
Content-Type: text/html
Transfer-Encoding: chunked

124
eduennate  iotceigse  d  onum stcaitoooduroairurmsrsl smctb  alpl otp eitiuleraa di tdn  dritelgqem ee cidmpi odmlosoanuieduennate  iotceigse  d  onum stcaitoooduroairurmsrsl smctb  alpl otp eitiuleraa di tdn  dritelgqem ee cidmpi odmlosoanuieduennate  iotceigse  d  onum stcaitoooduroairurms
1e6
rurmsrsl smctb  alpl otp eitiuleraa di tdn  dritelgqem ee cidmpi odmlosoanuieduennate  iotceigse  d  onum stcaitoooduroairurmsrsl smctb  alpl otp eitiuleraa di tdn  dritelgqem ee cidmpi odmlosoanuieduennate  iotceigse  d  onum stcaitoooduroairurmsrsl smctb  alpl otp eitiuleraa di tdn  dritelgqem ee cidmpi odmlosoanuieduennate  iotceigse  d  onum stcaitoooduroairurmsrsl smctb  alpl otp eitiuleraa di tdn  dritelgqem ee cidmpi odmlosoanuieduennate  iotceigse  d  onum stcaitoooduroairu
275
ee cidmpi odmlosoanuieduennate  iotceigse  d  onum stcaitoooduroairurmsrsl smctb  alpl otp eitiuleraa di tdn  dritelgqem ee cidmpi odmlosoanuieduennate  iotceigse  d  onum stcaitoooduroairurmsrsl smctb  alpl otp eitiuleraa di tdn  dritelgqem ee cidmpi odmlosoanuieduennate  i€ˆ‹¸˜è 5¨½¸ã“Í†ù×Ú¾23562_23563_curl_53_1::1 û*::10»8Š¸BcurlPŞZŞotceigse  d  onum stcaitoooduroairurmsrsl smctb  alpl otp eitiuleraa di tdn  dritelgqem ee cidmpi odmlosoanuieduennate  iotceigse  d  onum stcaitoooduroairurmsrsl smctb  alpl otp eitiuleraa di tdn  dritelgqem ee cidmpi odmlosoanuieduennate  iotceigse  d  onum stcaitoooduroairurmsrsl smctb  alpl otp eitiuleraa di tdn  dritelgqem ee cidmpi odmlosoanuiedu
f9
pl otp eitiuleraa di tdn  dritelgqem ee cidmpi odmlosoanuieduennate  iotceigse  d  onum stcaitoooduroairurmsrsl smctb  alpl otp eitiuleraa di tdn  dritelgqem ee cidmpi odmlosoanuieduennate  iotceigse  d  onum stcaitoooduroairurmsrsl smctb  alpl otp 
d
otceigse  d  
102
rmsrsl smctb  alpl otp eitiuleraa di tdn  dritelgqem ee cidmpi odmlosoanuieduennate  iotceigse  d  onum stcaitoooduroairurmsrsl smctb  alpl otp eitiuleraa di tdn  dritelgqem ee cidmpi odmlosoanuieduennate  iotceigse  d  onum stcaitoooduroairurmsrsl smctb  al
13
i tdn  dritelgqem e
1d
nuieduennate  iotceigse  d  o
5
 di t
3
em 
2
ru
1
o
0

€ˆ‹¸˜è 5¨ÀUQ¾’Ğ†ù×Ú¾23562_23563_curl_53_0::1 û*::10»8Š¸Bcurl€‹¸˜è 5¨ÈÀ»›«Ò†ù×Ú¾30836_30838_wget_42_1::1 øÖ*::10ûA8ôğBwgetPäZäHTTP/1.1 200 OK
Server: gen
Content-Type: text/html
Transfer-Encoding: chunked

45
  d  onum stcaitoooduroairurmsrsl smctb  alpl otp eitiuleraa di tdn  
d
otceigse  d  
4
m st
14
tceigse  d  onum stc
5
 di t
0

€ˆöğ˜è *¨¯ªª„Ô†ù×Ú¾30836_30838_wget_42_2::1 øÖ*::10ûA8ôğBwgetPRZRGET /static/app.js HTTP/1.1
Host: ::1:8443
User-Agent: wget/8.1
Accept: */*

€ˆöğ˜è *¨À”ô‰Õ†ù×Ú¾20053_20053_python3_12_2::1 ¸¬*::10ûA8ÕœBpython3P1Z1GET / HTTP/1.1
Host: ::1:8443
User-Agent: pytho€ˆÕœ˜è ¨Àd`ûµÖ†ù×Ú¾20053_20053_python3_12_2::1 ¸¬*::10ûA8ÕœBpython3PZn3€ˆÕœ˜è ¨À¦¡ú–×†ù×Ú¾30836_30838_wget_42_1::1 øÖ*::10ûA8ôğBwgetPÇZÇHTTP/1.1 200 OK
Server: gen
Content-Type: text/html
Content-Length: 2808

tcaitoooduroairurmsrsl smctb  alpl otp eitiuleraa di tdn  dritelgqem ee cidmpi odmlosoanuieduennate  iotceigse  d  onum stcaitoooduroairurmsrsl smctb  alpl otp eitiuleraa di tdn  dritelgqem ee cidmpi odmlosoanuieduennate  iotceigse  d  onum stcaitoooduroairurmsrsl smctb  alpl otp eitiuleraa di tdn  dritelgqem ee cidmpi odmlosoanuieduennate  iotceigse  d  onum stcaitoooduroairurmsrsl smctb  alpl otp eitiuleraa di tdn  dritelgqem ee cidmpi odmlosoanuieduennate  iotceigse  d  onum stcaitoooduroairurmsrsl smctb  alpl otp eitiuleraa di tdn  dritelgqem ee cidmpi odmlosoanuieduennate  iotceigse  d  onum stcaitoooduroairurmsrsl smctb  alpl otp eitiuleraa di tdn  dritelgqem ee cidmpi odmlosoanuieduennate  iotceigse  d  onum stcaitoooduroairurmsrsl smctb  alpl otp eitiuleraa di tdn  dritelgqem ee cidmpi odmlosoanuieduennate  iotceigse  d  onum stcaitoooduroairurmsrsl smctb  alpl otp eitiuleraa di tdn  dritelgqem ee cidmpi odmlosoanuieduennate  iotceigse  d  onum stcaitoooduroairurmsrsl smctb  alpl otp eitiuleraa di tdn  dritelgqem ee cidmpi odmlosoanuieduennate  iotceigse  d  onum stcaitoooduroairurmsrsl smctb  alpl otp eitiuleraa di tdn  dritelgqem ee cidmpi odmlosoanuieduennate  iotceigse  d  onum stcaitoooduroairurmsrsl smctb  alpl otp eitiuleraa di tdn  dritelgqem ee cidmpi odmlosoanuieduennate  iotceigse  d  onum stcaitoooduroairurmsrsl smctb  alpl otp eitiuleraa di tdn  dritelgqem ee cidmpi odmlosoanuieduennate  iotceigse  d  onum stcaitoooduroairurmsrsl smctb  alpl otp eitiuleraa di tdn  dritelgqem ee cidmpi odmlosoanuieduennate  iotceigse  d  onum stcaitoooduroairurmsrsl smctb  alpl otp eitiuleraa di tdn  dritelgqem ee cidmpi odmlosoanuieduennate  iotceigse  d  onum stcaitoooduroairurmsrsl smctb  alpl otp eitiuleraa di tdn  dritelgqem ee cidmpi odmlosoanuieduennate  iotceigse  d  onum stcaitoooduroairurmsrsl smctb  alpl otp eitiuleraa di tdn  dritelgqem ee cidmpi odmlosoanuieduennate  iotceigse  d  onum stcaitoooduroairurmsrsl smctb  alpl otp eitiuleraa di tdn  dritelgqem ee cidmpi odmlosoanuieduennate  iotceigse  d  onum stcaitoooduroairurmsrsl smctb  alpl otp eitiuleraa di tdn  dritelgqem ee cidmpi odmlosoanuieduennate  iotceigse  d  onum stcaitoooduroairurmsrsl smctb  alpl otp eitiuleraa di tdn  dritelgqem ee cidmpi odmlosoanuieduennate  iotceigse  d  onum stcaitoooduroairurmsrsl smctb  alpl otp eitiuleraa di tdn  dritelgqem ee cidmpi odmlosoanuieduennate  iotceigse  d  onum stcaitoooduroairurmsrsl smctb  alpl otp eitiuleraa di tdn  dritelgqem ee cidmpi odmlosoanuieduennate  iotceigse  d  onum stcaitoooduroairurmsrsl smctb  alpl otp eitiuleraa di tdn  dritelgqem ee cidmpi odmlosoanuieduennate  iotceigse  d  onum stcaitoooduroairurmsrsl smctb  alpl otp eitiuleraa di tdn  dritelgqem ee cidmpi odmlosoanuieduennate  iotceigse  d  onum stcaitoooduroairurmsrsl sm€ˆöğ˜è *¨ÀwsÓ¡Ù†ù×Ú¾20053_20053_python3_12_2::1 ¸¬*::10ûA8ÕœBpython3PZ/8.1
Accept: */*

€ˆÕœ˜è ¨À×Òã„Ú†ù×Ú¾20053_20053_python3_12_1::1 ¸¬*::10ûA8ÕœBpython3PtZtHTTP/1.1 200 OK
Server: gen
Content-Type: application/octet-stream
Content-Length: 59

2Æ“Ñ”õÔ½×Pq¡%ˆÏ’+$Ğã0ï€ˆÕœ˜è ¨À¿ºôµÛ†ù×Ú¾30836_30838_wget_42_2::1 øÖ*::10ûA8ôğBwgetPbZbGET /index.html HTTP/1.1
Host: ::1:8443
User-Agent: wget/8.1
Accept: */*
Connection: close

€ˆöğ˜è *¨À­¨ÌşÛ†ù×Ú¾30836_30838_wget_42_1::1 øÖ*::10ûA8ôğBwgetPÎZÎHTTP/1.1 200 OK
Server: gen
Content-Type: text/html
Transfer-Encoding: chunked

2f
n  dritelgqem ee cidmpi odmlosoanuieduennate  i
9d
uieduennate  iotceigse  d  onum stcaitoooduroairurmsrsl smctb  alpl otp eitiuleraa di tdn  dritelgqem ee cidmpi odmlosoanuieduennate  iotceigse  d  onum stca
2
ru
1f
e cidmpi odmlosoanuieduennate  
54
uleraa di tdn  dritelgqem ee cidmpi odmlosoanuieduennate  iotceigse  d  onum stcaito
13
i tdn  dritelgqem e
1€ˆöğ˜è *¨ÀkgªĞİ†ù×Ú¾30836_30838_wget_42_1::1 øÖ*::10ûA8ôğBwgetPZ
o
1
o
0

€ˆöğ˜è *¨ÀUQº¾ß†ù×Ú¾30836_30838_wget_42_0::1 øÖ*::10ûA8ôğBwget€öğ˜è *¨Ènjø¦à†ù×Ú¾20053_20053_python3_12_1::1 ¸¬*::10ûA8ÕœBpython3PZ#«ñ<2/aßæW€ˆÕœ˜è ¨Àyuóõâ†ù×Ú¾20053_20053_python3_12_1::1 ¸¬*::10ûA8ÕœBpython3PZBƒÌ?/—{.8!kyåå5ö¥—€ˆÕœ˜è ¨À¾¹ñâä†ù×Ú¾20053_20053_python3_12_2::1 ¸¬*::10ûA8ÕœBpython3P[Z[GET / HTTP/1.1
Host: ::1:8443
User-Agent: python3/8.1
Accept: */*
Connection: close

€ˆÕœ˜è ¨ÀsoœŒå†ù×Ú¾20053_20053_python3_12_1::1 ¸¬*::10ûA8ÕœBpython3PZHTTP/1.1 200 OK
€ˆÕœ˜è ¨ÀÈÃëÙç†ù×Ú¾20053_20053_python3_12_1::1 ¸¬*::10ûA8ÕœBpython3PãZãServer: gen
Content-Type: text/html
Content-Length: 2469

 eitiuleraa di tdn  dritelgqem ee cidmpi odmlosoanuieduennate  iotceigse  d  onum stcaitoooduroairurmsrsl smctb  alpl otp eitiuleraa di tdn  dritelgqem ee cidmpi odmlosoanuieduennate  iotceigse  d  onum stcaitoooduroairurmsrsl smctb  alpl otp eitiuleraa di tdn  dritelgqem ee cidmpi odmlosoanuieduennate  iotceigse  d  onum stcaitoooduroairurmsrsl smctb  alpl otp eitiuleraa di tdn  dritelgqem ee cidmpi odmlosoanuieduennate  iotceigse  d  onum stcaitoooduroairurmsrsl smctb  alpl otp eitiuleraa di tdn  dritelgqem ee cidmpi odmlosoanuieduennate  iotceigse  d  onum stcaitoooduroairurmsrsl smctb  alpl otp eitiuleraa di tdn  dritelgqem ee cidmpi odmlosoanuieduennate  iotceigse  d  onum stcaitoooduroairurmsrsl smctb  alpl otp eitiuleraa di tdn  dritelgqem ee cidmpi odmlosoanuieduennate  iotceigse  d  onum stcaitoooduroairurmsrsl smctb  alpl otp eitiuleraa di tdn  dritelgqem ee cidmpi odmlosoanuieduennate  iotceigse  d  onum stcaitoooduroairurmsrsl smctb  alpl otp eitiuleraa di tdn  dritelgqem ee cidmpi odmlosoanuieduennate  iotceigse  d  onum stcaitoooduroairurmsrsl smctb  alpl otp eitiuleraa di tdn  dritelgqem ee cidmpi odmlosoanuieduennate  iotceigse  d  onum stcaitoooduroairurmsrsl smctb  alpl otp eitiuleraa di tdn  dritelgqem ee cidmpi odmlosoanuieduennate  iotceigse  d  onum stcaitoooduroairurmsrsl smctb  alpl otp eitiuleraa di tdn  dritelgqem ee cidmpi odmlosoanuieduennate  iotceigse  d  onum stcaitoooduroairurmsrsl smctb  alpl otp eitiuleraa di tdn  dritelgqem ee cidmpi odmlosoanuieduennate  iotceigse  d  onum stcaitoooduroairurmsrsl smctb  alpl otp eitiuleraa di tdn  dritelgqem ee cidmpi odmlosoanuieduennate  iotceigse  d  onum stcaitoooduroairurmsrsl smctb  alpl otp eitiuleraa di tdn  dritelgqem ee cidmpi odmlosoanuieduennate  iotceigse  d  onum stcaitoooduroairurmsrsl smctb  alpl otp eitiuleraa di tdn  dritelgqem ee cidmpi odmlosoanuieduennate  iotceigse  d  onum stcaitoooduroairurmsrsl smctb  alpl otp eitiuleraa di tdn  dritelgqem ee cidmpi odmlosoanuieduennate  iotceigse  d  onum stcaitoooduroairurmsrsl smctb  alpl otp eitiuleraa di tdn  dritelgqem ee cidmpi odmlosoanuieduennate  iotceigse  d  onum stcaitoooduroairurmsrsl smctb  alpl otp eitiuleraa di tdn  dritelgqem ee cidmpi odmlosoanuieduennate  iotceigse  d  onum stcaitoooduroairurmsrsl smctb  alpl otp eitiuleraa di tdn  dritelgqem ee cidmpi odmlosoanuieduennate  iotceigse  d  onum stcaitoooduroairurmsrsl smctb  alpl otp eitiuleraa di tdn  dritelgqem ee cidmpi odmlosoa€ˆÕœ˜è ¨À[W¸êç†ù×Ú¾20053_20053_python3_12_0::1 ¸¬*::10ûA8ÕœBpython3€Õœ˜è ¨È