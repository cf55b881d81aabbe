//! Tests of the inbound listener: messages read, and real SMTP conversations.

mod parsing;
