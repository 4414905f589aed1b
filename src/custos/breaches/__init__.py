"""The breach register (GDPR Art. 33, 34; Cal. Civ. Code 1798.82, 1798.150): incidents with
the categories and people they affect, worked out from the data map and counted on the stores;
the 72-hour clock for the authority with a reminder; the notices to the people affected; and
the register as the Art. 33(5) documentation. A plug-in of the service."""
