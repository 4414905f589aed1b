"""Telling recipients and processors (GDPR Art. 19; CCPA §7022(b)(3), §7026(f)): when a
request that changes or restricts a person's data completes, every recipient that received a
category the request touched is told, by signed webhook or by mail, and the notice is tracked
until the recipient acknowledges it. A plug-in of the service (``custos.recipients.plugin``)."""
