"""Mail: archives and saved messages in the inbox (archives, messages, unpack), fetching from the office
mailbox over IMAP (fetch), answering units over SMTP (send). No module here prints or imports click/rich."""
