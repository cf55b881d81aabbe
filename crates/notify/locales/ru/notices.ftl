# Уведомления об инцидентах, русский.
subject-opened = [#{ $incident }] Сбой ваших услуг: { $title }
subject-opened-untitled = [#{ $incident }] Сбой ваших услуг
subject-resolved = [#{ $incident }] Устранено: { $title }
subject-resolved-untitled = [#{ $incident }] Ваши услуги снова работают
greeting = Здравствуйте!
opened-intro = Наш мониторинг обнаружил сбой, затрагивающий { $count ->
    [one] { $count } вашу услугу
    [few] { $count } ваши услуги
   *[many] { $count } ваших услуг
    } (клиент { $customer }):
incident-title = Инцидент: { $title }
service-down-since = недоступна с { $since }
opened-next = Мы работаем над устранением и напишем снова, когда сбой будет устранён. Текущее состояние:
resolved-intro = Сбой устранён: { $count ->
    [one] { $count } затронутая услуга снова работает
    [few] { $count } затронутые услуги снова работают
   *[many] { $count } затронутых услуг снова работают
    } (клиент { $customer }).
service-down-for = время простоя: { $duration }
resolved-next = Отчёт об инциденте — на странице состояния:
footer = Это сообщение отправлено автоматически системой мониторинга вашего провайдера. Номер инцидента: { $incident }.
duration-days = { $n ->
    [one] { $n } день
    [few] { $n } дня
   *[many] { $n } дней
    }
duration-hours = { $n ->
    [one] { $n } час
    [few] { $n } часа
   *[many] { $n } часов
    }
duration-minutes = { $n ->
    [one] { $n } минута
    [few] { $n } минуты
   *[many] { $n } минут
    }
duration-seconds = { $n ->
    [one] { $n } секунда
    [few] { $n } секунды
   *[many] { $n } секунд
    }

# Сообщение всем клиентам и уведомление персонала о потере резервирования.
subject-broadcast = { $title }
broadcast-intro = Сообщение вашего провайдера всем клиентам:
broadcast-next = Текущее состояние:
broadcast-footer = Вы получили это сообщение как контакт клиента вашего провайдера.
subject-degraded = Потеря резервирования: { $title } (услуг с деградацией: { $count })
degraded-intro = { $title } неисправен. Ни одна услуга не остановлена, но резервирование потеряли услуги: { $count }; под угрозой при следующем сбое клиенты: { $customers }. Клиенты не уведомлены.
service-degraded = деградация
degraded-next = Страница состояния:
degraded-footer = Отправлено только персоналу системой Tocsin.

# To the shift lead on duty when an incident opens ($incident: its number; $title: its headline).
subject-lead-opened = Открыт инцидент { $incident }: { $title }
lead-opened-intro = Во время вашей смены, которую вы возглавляете, открыт инцидент. Клиенты получат уведомление, если их услуги останутся недоступны дольше времени ожидания.
lead-opened-next = Страница статуса:
lead-opened-footer = Отправлено Tocsin старшему дежурной смены.

# Planned maintenance ($title: the window's title; $customer: customer name; $count: how many of
# the customer's services will be down; $utc, $local: the window's times; $previous: the times
# before a move).
subject-maintenance-announced = Плановые работы: { $title }
subject-maintenance-reminder = Напоминание о плановых работах: { $title }
subject-maintenance-moved = Плановые работы перенесены: { $title }
subject-maintenance-cancelled = Плановые работы отменены: { $title }
maintenance-announced-intro = Мы планируем работы на инфраструктуре, которые прервут { $count ->
    [one] { $count } вашу услугу
    [few] { $count } ваши услуги
   *[other] { $count } ваших услуг
    } (клиент { $customer }).
maintenance-reminder-intro = Напоминаем: плановые работы на инфраструктуре прервут { $count ->
    [one] { $count } вашу услугу
    [few] { $count } ваши услуги
   *[other] { $count } ваших услуг
    } (клиент { $customer }).
maintenance-moved-intro = Плановые работы, которые прервут { $count ->
    [one] { $count } вашу услугу
    [few] { $count } ваши услуги
   *[other] { $count } ваших услуг
    } (клиент { $customer }), перенесены на новое время.
maintenance-cancelled-intro = Плановые работы, которые должны были прервать { $count ->
    [one] { $count } вашу услугу
    [few] { $count } ваши услуги
   *[other] { $count } ваших услуг
    } (клиент { $customer }), отменены; в это время ничего не будет прервано.
maintenance-when = Когда: { $utc }; { $local }.
maintenance-when-utc = Когда: { $utc }.
maintenance-previously = Ранее планировалось: { $previous }.
service-in-maintenance = недоступна во время работ
maintenance-next = Календарь работ — на нашей странице статуса:
maintenance-footer = Это сообщение отправлено автоматически вашим провайдером. Других писем об этих работах не будет: их начало и конец видны на странице статуса.

# A final month's SLA credit for one service ($service, $service_id: the service; $month: the
# month's name and year; $availability, $sla: percentages; $down: the downtime counted;
# $net, $vat, $gross: amounts in $currency; $deadline: a UTC timestamp; $first: the offer that
# applies when the customer does not choose; $value: an offer's amount or number of days).
subject-credit-offered = Компенсация по SLA за услугу { $service } — { $month }
credit-offered-intro = Доступность вашей услуги { $service } ({ $service_id }) за { $month } составила { $availability }, что ниже обещанных { $sla } (клиент { $customer }). Учтённое время простоя: { $down }. Вам полагается компенсация.
credit-amounts = Компенсация составляет { $net } { $currency } без НДС, НДС { $vat } { $currency }, всего { $gross } { $currency } с НДС.
credit-amounts-reverse-charge = Компенсация составляет { $net } { $currency } без НДС: применяется обратное начисление (reverse charge), НДС уплачиваете вы. Всего { $gross } { $currency }.
credit-choose = Выберите, в какой форме вы хотите её получить:
offer-account-credit = { $value } { $currency } на ваш клиентский счёт
offer-service-days = { $value ->
    [one] { $value } бесплатный день
    [few] { $value } бесплатных дня
   *[many] { $value } бесплатных дней
    } услуги
credit-deadline = Выбрать можно до { $deadline }. Если вы не сделаете выбор к этому сроку, будет применён первый вариант: { $first }.
credit-offered-next = Сделать выбор можно в личном кабинете:
credit-offered-footer = Это сообщение отправлено автоматически вашим провайдером после закрытия месяца, один раз для каждой услуги и месяца.
month-year = { $m ->
    [1] январь
    [2] февраль
    [3] март
    [4] апрель
    [5] май
    [6] июнь
    [7] июль
    [8] август
    [9] сентябрь
    [10] октябрь
    [11] ноябрь
   *[12] декабрь
    } { $year }

# The support desk ($ticket: the ticket's number; $subject: its subject; $target: the SLA target
# missed, in words; $due: a UTC timestamp; $customer: the customer's name or id).
ticket-untitled = (без темы)
ticket-received-intro = Спасибо за обращение. Мы получили ваш запрос и зарегистрировали его под номером T-{ $ticket }: «{ $subject }». Мы ответим вам в ближайшее время.
ticket-received-quote = Ваше сообщение:
ticket-received-reply = Если вы хотите что-то добавить, просто ответьте на это письмо — ваш ответ будет добавлен к обращению. Пожалуйста, сохраните в теме письма метку [#T-{ $ticket }].
ticket-received-next = Следить за ходом обращения можно в личном кабинете:
ticket-received-footer = Это автоматическое подтверждение от службы поддержки вашего провайдера.
ticket-reply-sign-off = С уважением,
ticket-reply-team = Служба поддержки
ticket-reply-next = Обращение T-{ $ticket } и вся переписка по нему — в личном кабинете:
ticket-reply-footer = Ответить можно прямо на это письмо; пожалуйста, сохраните в теме метку [#T-{ $ticket }].
subject-ticket-breach = Нарушен целевой срок SLA: { $target }
ticket-target = { $target ->
    [first_response] первый ответ
    [next_response] следующий ответ
   *[resolution] решение
    }
ticket-breach-intro = По обращению T-{ $ticket } («{ $subject }») нарушен целевой срок SLA.
ticket-breach-target = Показатель: { $target }
ticket-breach-due = Крайний срок: { $due }
ticket-breach-customer = Клиент: { $customer }
ticket-breach-no-customer = Клиент: пока не назначен
ticket-breach-next = Обращение в консоли:
ticket-breach-footer = Отправлено системой Tocsin старшему дежурной смены и исполнителю обращения.

# To every admin when a staff member opens a sealed envelope ($envelope: its number; $name: its
# name; $opener: the login of who opened it; $when: a UTC timestamp). The secret is never here.
envelope-untitled = (без названия)
subject-envelope-opened = Запечатанный конверт #{ $envelope } «{ $name }» вскрыт пользователем { $opener }
envelope-opened-intro = Запечатанный конверт #{ $envelope } «{ $name }» вскрыт пользователем { $opener }. Время вскрытия: { $when }.
envelope-opened-reason = Указанная причина:
envelope-opened-no-reason = Причина не указана.
envelope-opened-next = Конверты и история их вскрытий в консоли:
envelope-opened-footer = Отправлено системой Tocsin всем администраторам; сам секрет по почте никогда не пересылается. Если это вскрытие не ожидалось, немедленно смените секрет: тот, кто вскрыл конверт, его знает.
