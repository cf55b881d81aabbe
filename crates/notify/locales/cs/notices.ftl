# Oznámení o incidentech, čeština.
subject-opened = [#{ $incident }] Výpadek vašich služeb: { $title }
subject-opened-untitled = [#{ $incident }] Výpadek vašich služeb
subject-resolved = [#{ $incident }] Vyřešeno: { $title }
subject-resolved-untitled = [#{ $incident }] Vaše služby opět běží
greeting = Dobrý den,
opened-intro = náš monitoring zjistil výpadek, který postihl { $count ->
    [one] vaši službu
    [few] { $count } vaše služby
   *[other] { $count } vašich služeb
    } (zákazník { $customer }):
incident-title = Incident: { $title }
service-down-since = mimo provoz od { $since }
opened-next = Na odstranění pracujeme a po vyřešení vám znovu napíšeme. Aktuální stav:
resolved-intro = výpadek skončil, { $count ->
    [one] vaše postižená služba opět běží
    [few] { $count } postižené služby opět běží
   *[other] všech { $count } postižených služeb opět běží
    } (zákazník { $customer }).
service-down-for = doba výpadku: { $duration }
resolved-next = Zprávu o incidentu najdete na stavové stránce:
footer = Tuto zprávu odeslal automaticky monitoring vašeho poskytovatele. Číslo incidentu: { $incident }.
duration-days = { $n ->
    [one] { $n } den
    [few] { $n } dny
    [many] { $n } dne
   *[other] { $n } dní
    }
duration-hours = { $n ->
    [one] { $n } hodina
    [few] { $n } hodiny
    [many] { $n } hodiny
   *[other] { $n } hodin
    }
duration-minutes = { $n ->
    [one] { $n } minuta
    [few] { $n } minuty
    [many] { $n } minuty
   *[other] { $n } minut
    }
duration-seconds = { $n ->
    [one] { $n } sekunda
    [few] { $n } sekundy
    [many] { $n } sekundy
   *[other] { $n } sekund
    }

# Hromadná zpráva všem zákazníkům a upozornění personálu na ztrátu redundance.
subject-broadcast = { $title }
broadcast-intro = Zpráva vašeho poskytovatele všem zákazníkům:
broadcast-next = Aktuální stav:
broadcast-footer = Tuto zprávu dostáváte jako kontakt zákazníka svého poskytovatele.
subject-degraded = Ztráta redundance: { $title } (omezených služeb: { $count })
degraded-intro = { $title } má poruchu. Žádná služba nevypadla, ale redundanci ztratilo služeb: { $count }; ohroženo při další poruše je zákazníků: { $customers }. Zákazníci nebyli informováni.
service-degraded = omezeno
degraded-next = Stránka stavu:
degraded-footer = Odesláno pouze personálu systémem Tocsin.

# To the shift lead on duty when an incident opens ($incident: its number; $title: its headline).
subject-lead-opened = Otevřen incident { $incident }: { $title }
lead-opened-intro = Během vaší směny, kterou vedete, byl otevřen incident. Zákazníci dostanou zprávu, pokud jejich služby zůstanou nedostupné déle než čekací doba.
lead-opened-next = Stavová stránka:
lead-opened-footer = Posláno vedoucímu směny ve službě systémem Tocsin.

# Planned maintenance ($title: the window's title; $customer: customer name; $count: how many of
# the customer's services will be down; $utc, $local: the window's times; $previous: the times
# before a move).
subject-maintenance-announced = Plánovaná údržba: { $title }
subject-maintenance-reminder = Připomenutí plánované údržby: { $title }
subject-maintenance-moved = Plánovaná údržba přesunuta: { $title }
subject-maintenance-cancelled = Plánovaná údržba zrušena: { $title }
maintenance-announced-intro = Plánujeme údržbu infrastruktury, která přeruší { $count ->
    [one] jednu z vašich služeb
    [few] { $count } vaše služby
   *[other] { $count } vašich služeb
    } (zákazník { $customer }).
maintenance-reminder-intro = Připomínáme: plánovaná údržba infrastruktury přeruší { $count ->
    [one] jednu z vašich služeb
    [few] { $count } vaše služby
   *[other] { $count } vašich služeb
    } (zákazník { $customer }).
maintenance-moved-intro = Plánovaná údržba, která přeruší { $count ->
    [one] jednu z vašich služeb
    [few] { $count } vaše služby
   *[other] { $count } vašich služeb
    } (zákazník { $customer }), byla přesunuta na nový termín.
maintenance-cancelled-intro = Plánovaná údržba, která měla přerušit { $count ->
    [one] jednu z vašich služeb
    [few] { $count } vaše služby
   *[other] { $count } vašich služeb
    } (zákazník { $customer }), byla zrušena; v tomto termínu se nic nepřeruší.
maintenance-when = Kdy: { $utc }; { $local }.
maintenance-when-utc = Kdy: { $utc }.
maintenance-previously = Původní termín: { $previous }.
service-in-maintenance = nedostupná během údržby
maintenance-next = Kalendář údržby je na naší stavové stránce:
maintenance-footer = Tuto zprávu odeslal automaticky váš poskytovatel. O této údržbě už další e-mail nepošleme: její začátek a konec uvidíte na stavové stránce.
